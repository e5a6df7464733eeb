//! `nvmeq::open` and the `Device` / `BackendExt` layer over the ram backend.
#![cfg(feature = "ram")]

use nvmeq::nvme::cmd::{Flush, Read};
use nvmeq::nvme::{Cmd, Command, DataDir, Xfer};
use nvmeq::{open, Backend, BackendExt, Data, Device, Error, IoBuf, LocatorError, OpenError};

#[test]
fn opens_ram_with_the_requested_geometry() {
    let mut d = open("ram:512M,lba=4096").unwrap();
    assert_eq!(d.backend(), nvmeq::BackendKind::Ram);
    assert_eq!(d.lba_size(1).unwrap(), 4096);
    assert_eq!(d.lba_size(2), Err(Error::UnknownNamespace(2)));
    let Device::Ram(c) = &d else {
        panic!("not ram")
    };
    assert_eq!(c.config().ns_size, 512 << 20);
    let mut d = open("ram:1G,nn=3,mdts=2,qd=16").unwrap();
    assert_eq!(d.caps().max_xfer, 16384);
    assert_eq!(d.caps().queue_depth, 16);
    assert_eq!(d.lba_size(3).unwrap(), 512);
}

#[test]
fn other_backends_name_the_missing_cargo_feature() {
    let mut cases = vec![];
    if cfg!(not(feature = "ioctl")) {
        cases.push(("ioctl:/dev/nvme0", "`ioctl`"));
    }
    if cfg!(not(feature = "uring")) {
        cases.push(("uring:/dev/ng0n1", "`uring`"));
    }
    if cfg!(not(any(feature = "uring", feature = "ioctl"))) {
        cases.push(("/dev/ng0n1", "`uring` or `ioctl`"));
    }
    if cfg!(not(feature = "vfio")) {
        cases.push(("vfio:0000:00:04.0", "`vfio`"));
    }
    for (spec, feature) in cases {
        let e = open(spec).unwrap_err();
        assert!(
            matches!(e, OpenError::Locator(LocatorError::NotCompiled { .. })),
            "{spec}: {e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("rebuild with the {feature} cargo feature")),
            "{msg}"
        );
    }
    #[cfg(not(feature = "vfio"))]
    {
        let msg = open("vfio:0000:00:04.0").unwrap_err().to_string();
        assert!(
            msg.starts_with("`vfio:0000:00:04.0` needs the vfio backend"),
            "{msg}"
        );
    }
}

/// With the kernel backends compiled in, a path that is not an NVMe device
/// is refused by name (this host has no NVMe device; /dev/null is a char
/// device of another driver).
#[cfg(any(feature = "ioctl", feature = "uring"))]
#[test]
fn kernel_backends_refuse_a_non_nvme_device_by_name() {
    for spec in ["/dev/null", "/dev/nvme-missing0n1"] {
        let msg = open(spec).unwrap_err().to_string();
        assert!(
            msg.contains(spec.trim_start_matches("ioctl:")),
            "{spec}: {msg}"
        );
    }
    #[cfg(feature = "ioctl")]
    {
        let msg = open("ioctl:/dev/null").unwrap_err().to_string();
        assert!(msg.starts_with("ioctl: "), "{msg}");
        assert!(msg.contains("/dev/null"), "{msg}");
    }
    #[cfg(feature = "uring")]
    {
        let msg = open("uring:/dev/null").unwrap_err().to_string();
        assert!(msg.starts_with("uring: "), "{msg}");
    }
}

/// With the vfio backend compiled in, a controller that is not bound to
/// vfio-pci (or absent, as on a host without one) is an error naming it.
#[cfg(feature = "vfio")]
#[test]
fn vfio_open_of_an_unbound_controller_says_what_is_wrong() {
    if std::fs::read_link("/sys/bus/pci/devices/0000:00:04.0/driver")
        .is_ok_and(|d| d.ends_with("vfio-pci"))
    {
        return; // a real VFIO controller here: nothing to check
    }
    let msg = open("vfio:0000:00:04.0").unwrap_err().to_string();
    assert!(
        msg.starts_with("vfio:") && msg.contains("0000:00:04.0"),
        "{msg}"
    );
}

#[test]
fn bad_strings_are_locator_errors() {
    assert!(matches!(open("ram:12Q"), Err(OpenError::Locator(_))));
    assert!(matches!(
        open("floppy:/dev/fd0"),
        Err(OpenError::Locator(_))
    ));
    assert!(matches!(
        open("vfio:0000:00:4.0"),
        Err(OpenError::Locator(_))
    ));
    let msg = open("ram:1G,lba=1000").unwrap_err().to_string();
    assert!(msg.contains("lba=1000"), "{msg}");
}

#[test]
fn read_and_write_blocks_round_trip_and_split_at_mdts() {
    let mut d = open("ram:16M,mdts=1").unwrap(); // 8 KiB per command
    let data: Vec<u8> = (0..64 * 1024).map(|i| (i % 253) as u8).collect();
    d.write_blocks(1, 100, &data).unwrap();
    let mut back = vec![0u8; data.len()];
    d.read_blocks(1, 100, &mut back).unwrap();
    assert_eq!(back, data);
    // 64 KiB in 8 KiB commands: 8 writes and 8 reads in the SMART log.
    let mut s = Command::new(0x02, 0xffff_ffff);
    s.cdw10 = 0x02 | (127 << 16);
    let mut log = [0u8; 512];
    d.execute(
        &Cmd::admin(s, DataDir::FromDevice, Xfer::Bytes(512)),
        Data::FromDevice(&mut log),
    )
    .unwrap();
    assert_eq!(
        u128::from_le_bytes(log[64..80].try_into().unwrap()),
        8,
        "host reads"
    );
    assert_eq!(
        u128::from_le_bytes(log[80..96].try_into().unwrap()),
        8,
        "host writes"
    );
}

#[test]
fn block_helpers_reject_bad_lengths_and_report_nvme_errors() {
    let mut d = open("ram:1M,lba=4096").unwrap();
    assert_eq!(
        d.write_blocks(1, 0, &[0; 4095]),
        Err(Error::NotBlockMultiple {
            len: 4095,
            lba_size: 4096
        })
    );
    assert_eq!(d.read_blocks(1, 0, &mut []), Err(Error::ZeroLength));
    assert_eq!(
        d.read_blocks(2, 0, &mut [0; 4096]),
        Err(Error::UnknownNamespace(2))
    );
    match d.read_blocks(1, 256, &mut [0; 4096]) {
        Err(Error::Status(s)) => assert_eq!((s.sct().0, s.sc()), (0, 0x80)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_queue_interface_works_through_device_and_anybuf() {
    let mut d = open("ram:1M").unwrap();
    d.write_blocks(1, 4, &[7; 1024]).unwrap();
    let buf = d.alloc(1024).unwrap();
    assert_eq!(buf.len(), 1024);
    d.push(&Read::new(1, 4, 1).build(), Some(buf), 42).unwrap();
    d.push(&Flush::new(1).build(), None, 43).unwrap();
    assert_eq!(d.in_flight(), 2);
    assert_eq!(d.submit(2).unwrap(), 2);
    let mut got = Vec::new();
    assert_eq!(d.reap(|r| got.push(r)), 2);
    assert_eq!(got[0].tag, 42);
    assert!(got[0]
        .buf
        .as_ref()
        .unwrap()
        .as_slice()
        .iter()
        .all(|&b| b == 7));
    assert!(got[1].result.is_ok());
    // A short buffer is refused at write, before anything runs.
    let small = d.alloc(100).unwrap();
    let rej = d
        .push(&Read::new(1, 0, 0).build(), Some(small), 1)
        .unwrap_err();
    assert_eq!(
        rej.error(),
        Some(&Error::BufferTooSmall {
            need: 512,
            have: 100
        })
    );
}

#[test]
fn queued_metadata_through_device_is_refused_with_both_buffers_back() {
    // A format without metadata: a metadata buffer is refused by name.
    let mut d = open("ram:1M").unwrap();
    let (data, meta) = (d.alloc(512).unwrap(), d.alloc(8).unwrap());
    let rej = d
        .push_with(&Read::new(1, 0, 0).build(), Some(data), Some(meta), 1)
        .unwrap_err();
    assert_eq!(rej.error(), Some(&Error::MetadataForbidden));
    let back = rej.into_buf().unwrap();
    assert_eq!(
        (back.data.map(|b| b.len()), back.meta.map(|b| b.len())),
        (Some(512), Some(8))
    );
    // With 8 bytes of metadata per block it is queued, and both come back.
    let mut pi = open("ram:1M,ms=8").unwrap();
    let (data, meta) = (pi.alloc(512).unwrap(), pi.alloc(8).unwrap());
    pi.push_with(&Read::new(1, 0, 0).build(), Some(data), Some(meta), 3)
        .unwrap();
    pi.submit(1).unwrap();
    let mut got = None;
    pi.reap(|r| got = Some((r.tag, r.buf.map(|b| b.len()), r.meta.map(|b| b.len()))));
    assert_eq!(got, Some((3, Some(512), Some(8))));
    // Without metadata it is an ordinary push, reaped with no metadata buffer.
    let data = d.alloc(512).unwrap();
    d.push_with(&Read::new(1, 0, 0).build(), Some(data), None, 2)
        .unwrap();
    d.submit(1).unwrap();
    let mut got = None;
    d.reap(|r| got = Some((r.tag, r.buf.is_some(), r.meta.is_none())));
    assert_eq!(got, Some((2, true, true)));
}

#[test]
fn identify_helpers_describe_the_device() {
    let mut d = open("ram:512M,lba=4096,nn=2").unwrap();
    let id = d.identify_controller().unwrap();
    assert_eq!(id.mn(), Some("nvmeq ram controller"));
    assert_eq!(id.nn, 2);
    let ns = d.identify_namespace(2).unwrap();
    assert_eq!(ns.nsze, (512 << 20) / 4096);
    assert_eq!(ns.lba_size(), Some(4096));
    match d.identify_namespace(3) {
        Err(Error::Status(s)) => assert_eq!((s.sct().0, s.sc()), (0, 0x0b)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn optional_transfers_reach_the_backend_through_the_facade() {
    use nvmeq::nvme::Feature;
    use nvmeq::nvme::VecData;
    let mut d = nvmeq::open("ram:1M").unwrap();
    assert!(d.caps().metadata, "ram keeps separate metadata");
    let read = Read::new(1, 0, 0).build();
    let mut data = [0u8; 512];
    let mut meta = [0u8; 8];
    // This namespace has none, so a metadata buffer is refused.
    assert_eq!(
        d.execute_with(
            &read,
            Data::FromDevice(&mut data),
            Data::FromDevice(&mut meta)
        ),
        Err(Error::MetadataForbidden)
    );
    let mut with_meta = nvmeq::open("ram:1M,ms=8").unwrap();
    with_meta
        .execute_with(
            &read,
            Data::FromDevice(&mut data),
            Data::FromDevice(&mut meta),
        )
        .unwrap();
    assert_eq!(
        with_meta.execute(&read, Data::FromDevice(&mut data)),
        Err(Error::MetadataRequired)
    );
    // Without metadata it is a plain execute.
    d.execute_with(&read, Data::FromDevice(&mut data), Data::None)
        .unwrap();
    let (mut a, mut b) = ([0u8; 256], [0u8; 256]);
    assert_eq!(
        d.execute_vec(
            &read,
            VecData::FromDevice(&mut [&mut a[..], &mut b[..]]),
            Data::None
        ),
        Err(Error::NotSupported(Feature::Vectored))
    );
}

#[test]
fn block_helpers_just_work_on_every_metadata_format() {
    use nvmeq::nvme::format::NsFormat;
    use nvmeq::nvme::pi::{self, Prchk, Tags};
    for dev in [
        "ram:1M,pi=1",
        "ram:1M,pi=2,pil=first",
        "ram:1M,pi=3",
        "ram:1M,lba=4096,pi=1,guard=64",
        "ram:1M,pi=1,meta=ext",
        "ram:1M,ms=16,pi=1",
        "ram:1M,ms=16,pi=2,meta=ext",
        "ram:1M,ms=8",
        "ram:1M,ms=8,meta=ext",
        "ram:1M,mdts=1,lba=4096,ms=64,pi=1,guard=32,sts=16",
    ] {
        let mut d = open(dev).unwrap();
        // The block helpers move data alone: LBA data size, not the data
        // buffer's bytes per block (`lba_size`, larger on extended LBAs).
        let lba = d.namespace_format(1).unwrap().lba_size() as usize;
        let data: Vec<u8> = (0..12 * lba).map(|i| (i % 251) as u8).collect();
        d.write_blocks(1, 3, &data)
            .unwrap_or_else(|e| panic!("{dev}: {e}"));
        let mut back = vec![0u8; data.len()];
        d.read_blocks(1, 3, &mut back)
            .unwrap_or_else(|e| panic!("{dev}: {e}"));
        assert_eq!(back, data, "{dev}");
        // The PI the controller generated is what the host would have.
        let fmt = d.namespace_format(1).unwrap();
        if let Some(p) = fmt.pi {
            let sep = NsFormat::separate(fmt.lba_size(), fmt.ms).with_pi(p);
            let mut raw = vec![0u8; 2 * fmt.block_bytes as usize];
            let mut meta = vec![0u8; 2 * fmt.meta_bytes as usize];
            let cmd = Read::new(1, 3, 1).build();
            if fmt.meta_bytes == 0 {
                d.execute(&cmd, Data::FromDevice(&mut raw)).unwrap();
                let prchk = Prchk::ALL.with_app_tag(false);
                assert_eq!(
                    pi::verify(&fmt, &raw, &[], &Tags::new(3), prchk),
                    Ok(2),
                    "{dev}"
                );
            } else {
                d.execute_with(
                    &cmd,
                    Data::FromDevice(&mut raw),
                    Data::FromDevice(&mut meta),
                )
                .unwrap();
                let prchk = Prchk::ALL.with_app_tag(false);
                assert_eq!(
                    pi::verify(&sep, &raw, &meta, &Tags::new(3), prchk),
                    Ok(2),
                    "{dev}"
                );
            }
        }
    }
}
