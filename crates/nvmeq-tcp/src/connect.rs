//! Connection setup: the TCP connection and its initialization (ICReq /
//! ICResp), then Connect for the admin queue, the controller's properties
//! and enable, and Connect for each I/O queue.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use nvmeq_core::fabrics::tcp::{DigestTypes, IcReq, Pdu, PduType, ADMIN_ICSZ, MIN_MAXH2CDATA};
use nvmeq_core::fabrics::{
    cmd::{connect_authreq, connect_cntlid},
    Connect, ConnectData, PropertyGet, PropertySet, PropertySize,
};
use nvmeq_core::regs::{Cap, Cc, Csts};
use nvmeq_core::{Cmd, Completion, DataDir, Error, IoBuf};
use zerocopy::IntoBytes;

use crate::buf::TcpBuf;
use crate::error::OpenError;
use crate::queue::{Params, Queue};
use crate::TcpOptions;

/// Admin queue entries (Linux's `NVME_AQ_DEPTH`).
pub const ADMIN_DEPTH: u16 = 32;

/// Property offsets (Base spec 2.0, "Controller Properties").
const CAP: u32 = 0x00;
const VS: u32 = 0x08;
const CC: u32 = 0x14;
const CSTS: u32 = 0x1c;

/// Opens a TCP connection and initializes it: returns the stream and the
/// negotiated parameters (`icsz` left 0 for the caller).
pub fn init_connection(opts: &TcpOptions) -> Result<(TcpStream, Params), OpenError> {
    let addr = format!("{}:{}", opts.host, opts.port);
    let tcp = |source| OpenError::Tcp {
        addr: addr.clone(),
        source,
    };
    let mut last = None;
    let mut stream = None;
    for a in (opts.host.as_str(), opts.port)
        .to_socket_addrs()
        .map_err(tcp)?
    {
        match TcpStream::connect_timeout(&a, opts.connect_timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut s = match stream {
        Some(s) => s,
        None => {
            return Err(tcp(last.unwrap_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "no address")
            })))
        }
    };
    let io = |source| OpenError::Io {
        addr: addr.clone(),
        source,
    };
    s.set_nodelay(true).map_err(io)?;
    s.set_read_timeout(Some(opts.connect_timeout)).map_err(io)?;
    s.set_write_timeout(Some(opts.timeout)).map_err(io)?;
    let want = DigestTypes::new()
        .with_hdgst(opts.hdgst)
        .with_ddgst(opts.ddgst);
    s.write_all(IcReq::new(want, 0).as_bytes()).map_err(io)?;
    let mut b = [0u8; 128];
    s.read_exact(&mut b[..8]).map_err(io)?;
    let bad = |why: String| OpenError::Handshake {
        addr: addr.clone(),
        why,
    };
    let ch = nvmeq_core::fabrics::tcp::CommonHeader::parse(&b[..8]).map_err(|source| {
        OpenError::Pdu {
            addr: addr.clone(),
            source,
        }
    })?;
    if ch.pdu_type() != PduType::IC_RESP {
        return Err(bad(format!(
            "expected an ICResp, got {} (PDU type {:#04x})",
            ch.pdu_type().name().unwrap_or("an unknown PDU"),
            ch.pdu_type
        )));
    }
    if ch.plen.get() != 128 {
        return Err(bad(format!("ICResp PLEN {} (expected 128)", ch.plen.get())));
    }
    s.read_exact(&mut b[8..]).map_err(io)?;
    let Ok(Pdu::IcResp(r)) = Pdu::parse(&b) else {
        return Err(bad("ICResp did not parse".into()));
    };
    if r.pfv.get() != 0 {
        return Err(bad(format!(
            "PDU format version {} (expected 0)",
            r.pfv.get()
        )));
    }
    let maxh2cdata = r.maxh2cdata.get();
    if maxh2cdata < MIN_MAXH2CDATA || maxh2cdata % 4 != 0 {
        return Err(bad(format!(
            "MAXH2CDATA {maxh2cdata} (at least 4096, a multiple of 4)"
        )));
    }
    if r.cpda > 31 {
        return Err(bad(format!("CPDA {} (at most 31)", r.cpda)));
    }
    if (r.dgst.hdgst() && !opts.hdgst) || (r.dgst.ddgst() && !opts.ddgst) {
        return Err(bad(
            "the controller enabled a digest the host did not ask for".into(),
        ));
    }
    if r.dgst.hdgst() != opts.hdgst || r.dgst.ddgst() != opts.ddgst {
        return Err(bad(format!(
            "digests asked for (header {}, data {}) not granted (header {}, data {})",
            opts.hdgst,
            opts.ddgst,
            r.dgst.hdgst(),
            r.dgst.ddgst()
        )));
    }
    Ok((
        s,
        Params {
            hdgst: r.dgst.hdgst(),
            ddgst: r.dgst.ddgst(),
            cpda: r.cpda,
            maxh2cdata,
            icsz: 0,
            timeout: opts.timeout,
        },
    ))
}

/// Runs a no-data or controller-to-host command on `q` (for setup).
pub fn run(q: &mut Queue, cmd: &Cmd, out: Option<&mut [u8]>) -> Result<Completion, Error> {
    let len = match cmd.xfer {
        nvmeq_core::Xfer::Bytes(n) => n,
        _ => 0,
    };
    let buf = out.as_ref().map(|o| TcpBuf::new(o.len()));
    let (r, b) = q.run(
        cmd,
        if len == 0 { DataDir::None } else { cmd.dir },
        len,
        buf,
    );
    if let (Some(o), Some(b)) = (out, b) {
        o.copy_from_slice(b.as_slice());
    }
    r
}

/// Sends Connect on `q` with `data`; returns the completion.
fn connect(q: &mut Queue, cmd: &Cmd, data: &ConnectData) -> Result<Completion, Error> {
    let mut b = TcpBuf::new(1024);
    b.as_mut_slice().copy_from_slice(data.as_bytes());
    q.run(cmd, DataDir::ToDevice, 1024, Some(b)).0
}

/// An admin queue with its controller enabled.
#[derive(Debug)]
pub struct Admin {
    /// The queue.
    pub queue: Queue,
    /// The controller id the target assigned.
    pub cntlid: u16,
    /// CAP.
    pub cap: Cap,
    /// VS.
    pub vs: u32,
}

fn step(step: &'static str) -> impl Fn(Error) -> OpenError {
    move |source| OpenError::Command { step, source }
}

/// Connects the admin queue of `opts.subnqn` and enables the controller.
pub fn admin(opts: &TcpOptions) -> Result<Admin, OpenError> {
    let (s, mut p) = init_connection(opts)?;
    p.icsz = ADMIN_ICSZ;
    let mut q = Queue::new(s, 0, p, ADMIN_DEPTH);
    let kato_ms = opts.kato.as_millis().min(u32::MAX as u128) as u32;
    let data = ConnectData::new(
        opts.resolved_hostid(),
        nvmeq_core::fabrics::CNTLID_DYNAMIC,
        &opts.subnqn,
        &opts.resolved_hostnqn(),
    )
    .map_err(|e| OpenError::BadOption(e.to_string()))?;
    let c = connect(
        &mut q,
        &Connect::new(0, ADMIN_DEPTH - 1).kato_ms(kato_ms).build(),
        &data,
    )
    .map_err(step("Connect (admin queue)"))?;
    if connect_authreq(c.dw0) != 0 {
        return Err(OpenError::AuthRequired);
    }
    let cntlid = connect_cntlid(c.dw0);
    let get = |q: &mut Queue, size, off, what| {
        run(q, &PropertyGet::new(size, off).build(), None)
            .map(|c| c.result())
            .map_err(step(what))
    };
    let cap = Cap::from_bits(get(&mut q, PropertySize::Eight, CAP, "Property Get CAP")?);
    let vs = get(&mut q, PropertySize::Four, VS, "Property Get VS")? as u32;
    let css = if cap.css() & Cap::CSS_IO_SETS != 0 {
        Cc::CSS_ALL_IO
    } else if cap.css() & Cap::CSS_NVM != 0 {
        Cc::CSS_NVM
    } else {
        Cc::CSS_ADMIN_ONLY
    };
    let cc = Cc::new()
        .with_en(true)
        .with_css(css)
        .with_iosqes(6)
        .with_iocqes(4);
    run(
        &mut q,
        &PropertySet::new(PropertySize::Four, CC, cc.into_bits() as u64).build(),
        None,
    )
    .map_err(step("Property Set CC.EN"))?;
    let limit = Duration::from_millis(cap.timeout_ms().max(500) as u64);
    let start = Instant::now();
    loop {
        let csts =
            Csts::from_bits(get(&mut q, PropertySize::Four, CSTS, "Property Get CSTS")? as u32);
        if csts.cfs() {
            return Err(OpenError::NotReady("CSTS.CFS: controller fatal status"));
        }
        if csts.rdy() {
            break;
        }
        if start.elapsed() > limit {
            return Err(OpenError::NotReady("CSTS.RDY still 0 after CAP.TO"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(Admin {
        queue: q,
        cntlid,
        cap,
        vs,
    })
}

/// Connects I/O queue `qid` of `depth` entries to controller `cntlid`.
pub fn io_queue(
    opts: &TcpOptions,
    cntlid: u16,
    qid: u16,
    depth: u16,
    icsz: u32,
) -> Result<Queue, OpenError> {
    let (s, mut p) = init_connection(opts)?;
    p.icsz = icsz;
    let mut q = Queue::new(s, qid, p, depth);
    let data = ConnectData::new(
        opts.resolved_hostid(),
        cntlid,
        &opts.subnqn,
        &opts.resolved_hostnqn(),
    )
    .map_err(|e| OpenError::BadOption(e.to_string()))?;
    // Connect data may exceed a small IOCCSZ: the queue then sends it after R2T.
    // SQ flow control off (CATTR bit 2): the queue bounds itself by its
    // slots and never reads SQHD, and a target may then end a read with the
    // SUCCESS flag of its last C2HData instead of a response capsule (Linux
    // nvmet does): one PDU per read instead of two.
    connect(
        &mut q,
        &Connect::new(qid, depth - 1)
            .cattr(Connect::CATTR_DISABLE_SQFLOW)
            .build(),
        &data,
    )
    .map_err(step("Connect (I/O queue)"))?;
    Ok(q)
}
