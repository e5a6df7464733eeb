//! nvmeq end to end: identify a controller, write a pattern, read it back,
//! verify it, run a batch through the queue interface, and show how an NVMe
//! error reads.
//!
//! `cargo xtask demo` runs it on the in-memory controller and then, in the
//! QEMU guest, on the ioctl, io_uring and VFIO backends. By hand:
//! `cargo run -p nvmeq --bin nvmeq-demo [-- DEVICE]` (default `ram:1G`).
//! The demo writes, so any device other than `ram:` needs
//! `--allow-destructive`: run it only against a disk whose data you can lose.

use std::process::ExitCode;

use nvmeq::{Backend, BackendExt, Error};

fn main() -> ExitCode {
    let mut spec = None;
    let mut destructive = false;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--allow-destructive" => destructive = true,
            "-h" | "--help" => {
                println!("usage: nvmeq-demo [--allow-destructive] [DEVICE]   (default ram:1G)");
                return ExitCode::SUCCESS;
            }
            _ if spec.is_none() => spec = Some(a),
            _ => {
                eprintln!("demo: unexpected argument `{a}`");
                return ExitCode::from(2);
            }
        }
    }
    let spec = spec.unwrap_or_else(|| "ram:1G".into());
    if !spec.starts_with("ram") && !destructive {
        eprintln!(
            "demo: `{spec}`: the demo writes to namespace 1; pass --allow-destructive to run it \
             on a real device (only on a disk whose data you can lose)"
        );
        return ExitCode::from(2);
    }
    match run(&spec) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(spec: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut dev = nvmeq::open(spec)?;
    println!("opened {spec} with the {} backend", dev.backend());

    let id = dev.identify_controller()?;
    let mdts = match id.mdts_bytes(4096) {
        Some(b) => format!("{} (max transfer {} KiB)", id.mdts, b / 1024),
        None => "0 (no limit)".into(),
    };
    println!("controller:");
    println!("  model (mn)     {}", id.mn().unwrap_or("?"));
    println!("  serial (sn)    {}", id.sn().unwrap_or("?"));
    println!("  firmware (fr)  {}", id.fr().unwrap_or("?"));
    println!("  version        {}", id.ver);
    println!("  mdts           {mdts}");
    println!("  namespaces     {}", id.nn);

    let nsid = 1;
    let ns = dev.identify_namespace(nsid)?;
    let lba = ns
        .lba_size()
        .ok_or("namespace 1 reports no valid LBA size")?;
    println!("namespace {nsid}:");
    println!(
        "  size           {} blocks of {lba} B = {} MiB",
        ns.nsze,
        (ns.nsze * lba as u64) >> 20
    );

    // A pattern that differs per block, so a misplaced block cannot pass.
    let blocks = 64u64;
    let slba = 1000;
    let pattern: Vec<u8> = (0..blocks * lba as u64)
        .map(|i| (i / lba as u64 * 7 + i % 251) as u8)
        .collect();
    dev.write_blocks(nsid, slba, &pattern)?;
    println!("wrote {blocks} blocks at LBA {slba}");
    let mut back = vec![0u8; pattern.len()];
    dev.read_blocks(nsid, slba, &mut back)?;
    if back != pattern {
        return Err("read back differs from what was written".into());
    }
    println!("read them back: all {} bytes match", back.len());

    // The queue interface: 32 reads written, submitted together, reaped. On a
    // format with metadata each read carries what the format needs: PRACT
    // when the metadata is only PI (the controller checks the guard and
    // strips it), else a metadata buffer or room for it in extended blocks.
    let fmt = dev.namespace_format(nsid)?;
    let prinfo = nvmeq::nvme::cmd::Prinfo::new()
        .with_pract(fmt.pi_only())
        .with_prchk_guard(fmt.pi.is_some());
    let (per_buf, meta_len) = if fmt.pi_only() {
        (lba as usize, 0)
    } else {
        (fmt.block_bytes as usize, fmt.meta_bytes as usize)
    };
    let mut bufs = Vec::new();
    for i in 0..32u64 {
        let buf = dev.alloc(per_buf)?;
        let meta = match meta_len {
            0 => None,
            n => Some(dev.alloc(n)?),
        };
        let read = nvmeq::nvme::cmd::Read::new(nsid, slba + i, 0)
            .prinfo(prinfo)
            .build();
        if let Err(r) = dev.push_with(&read, Some(buf), meta, i) {
            return Err(format!("queue refused a read: {:?}", r.error()).into());
        }
    }
    let submitted = dev.submit(32)?;
    let mut failed = 0;
    dev.reap(|r| {
        failed += r.result.is_err() as u32;
        if let Some(b) = r.buf {
            bufs.push((r.tag, b));
        }
    });
    let intact = bufs.iter().all(|(tag, b)| {
        let at = (*tag as usize) * lba as usize;
        nvmeq::IoBuf::as_slice(b)[..lba as usize] == pattern[at..at + lba as usize]
    });
    if failed != 0 || bufs.len() != 32 || !intact {
        return Err("the queued reads did not return the pattern".into());
    }
    println!("queued {submitted} reads, committed them in one batch, reaped 32 matching blocks");

    // An out-of-range read: the controller answers with an NVMe status.
    let past_end = ns.nsze;
    let mut one = vec![0u8; lba as usize];
    match dev.read_blocks(nsid, past_end, &mut one) {
        Err(Error::Status(s)) => {
            println!("reading LBA {past_end} (one past the end) fails as it should: {s}")
        }
        Ok(()) => return Err("a read past the end of the namespace succeeded".into()),
        Err(e) => return Err(format!("a read past the end failed oddly: {e}").into()),
    }
    let caps = dev.caps();
    println!(
        "caps: queue depth {}, max transfer {} KiB",
        caps.queue_depth,
        caps.max_xfer / 1024
    );
    Ok(())
}
