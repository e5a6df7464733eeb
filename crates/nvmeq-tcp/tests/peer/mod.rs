//! A scripted NVMe/TCP target on 127.0.0.1 for the host tests: a small
//! in-memory controller that speaks the protocol correctly, and can be told
//! to misbehave on the I/O queue's first Read or Write.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nvmeq_core::fabrics::tcp::{
    CapsuleResp, CommonHeader, DataHdr, Layout, Pdu, PduFlags, PduType, R2t, TermReq,
};
use nvmeq_core::fabrics::FabricsCommand;
use nvmeq_core::{Command, Completion, Status};
use zerocopy::byteorder::little_endian::{U16, U32};
use zerocopy::{FromBytes, FromZeros, IntoBytes};

/// Blocks of the namespace (512 bytes each).
pub const BLOCKS: u64 = 2048;
/// MAXH2CDATA the target grants (small, so writes take several H2CData PDUs).
pub const MAXH2CDATA: u32 = 8192;
/// In-capsule data the I/O queues take (IOCCSZ 260: 4096 bytes).
pub const ICSZ: u32 = 4096;

/// How the target answers the I/O queue's first Read (or Write, for the R2T faults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No fault.
    None,
    /// A C2HData with a wrong HLEN.
    BadHlen,
    /// Half a header, then the connection closes.
    Truncated,
    /// C2HData whose DATAO skips ahead.
    OutOfOrder,
    /// A response for a CID that is not in flight.
    UnknownCid,
    /// A C2HData with a wrong header digest (digests on).
    BadHeaderDigest,
    /// A C2HData with a wrong data digest (digests on).
    BadDataDigest,
    /// A C2HTermReq.
    Terminate,
    /// No answer at all (the host's timeout must fire).
    Silent,
    /// The connection closes with the command in flight.
    Close,
    /// C2HData past the end of the transfer.
    PastEnd,
    /// An R2T for more than the write's length.
    R2tTooLong,
    /// SUCCESS before all the data.
    EarlySuccess,
    /// An ICResp with MAXH2CDATA below 4096.
    BadIcResp,
    /// A discovery controller: Identify says CNTRLTYPE 2h and Set Features
    /// (Number of Queues) is refused, as Linux nvmet's discovery controller
    /// does.
    Discovery,
    /// The whole association goes, as when the target's port is removed:
    /// the I/O connection and the admin connection both close.
    DropAssociation,
}

/// The target's shared state.
pub struct Target {
    /// The namespace's bytes.
    pub media: Mutex<Vec<u8>>,
    /// The fault to inject.
    pub fault: Fault,
    /// Commands seen, by opcode (admin and I/O).
    pub seen: Mutex<Vec<(u16, u8)>>,
    /// H2CData PDUs received.
    pub h2c_pdus: Mutex<u32>,
    cc: Mutex<u32>,
    fired: Mutex<bool>,
    /// The admin connections, for [`Fault::DropAssociation`].
    admins: Mutex<Vec<TcpStream>>,
}

/// Starts a target; returns its port.
pub fn start(fault: Fault) -> (u16, Arc<Target>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let t = Arc::new(Target {
        media: Mutex::new(vec![0; (BLOCKS * 512) as usize]),
        fault,
        seen: Mutex::new(Vec::new()),
        h2c_pdus: Mutex::new(0),
        cc: Mutex::new(0),
        fired: Mutex::new(false),
        admins: Mutex::new(Vec::new()),
    });
    let t2 = t.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            let t = t2.clone();
            std::thread::spawn(move || {
                let _ = Conn::new(s, t).serve();
            });
        }
    });
    (port, t)
}

struct Conn {
    s: TcpStream,
    t: Arc<Target>,
    hdgst: bool,
    ddgst: bool,
    qid: u16,
}

type R<T> = std::io::Result<T>;

fn crc(b: &[u8]) -> u32 {
    crc32c::crc32c(b)
}

impl Conn {
    fn new(s: TcpStream, t: Arc<Target>) -> Self {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Conn {
            s,
            t,
            hdgst: false,
            ddgst: false,
            qid: 0,
        }
    }

    /// The fault applies once, on an I/O queue.
    fn fault(&self) -> Fault {
        let mut f = self.t.fired.lock().unwrap();
        if self.qid == 0 || *f || self.t.fault == Fault::BadIcResp {
            return Fault::None;
        }
        *f = true;
        self.t.fault
    }

    /// Reads one PDU: its header and its data (digests checked).
    fn recv(&mut self) -> R<(Pdu, Vec<u8>)> {
        let mut ch = [0u8; 8];
        self.s.read_exact(&mut ch)?;
        let c = CommonHeader::parse(&ch).expect("host sent a bad common header");
        let mut rest = vec![0u8; c.plen.get() as usize - 8];
        self.s.read_exact(&mut rest)?;
        let mut all = ch.to_vec();
        all.extend_from_slice(&rest);
        let l = c.layout(self.hdgst, self.ddgst).expect("host PDU layout");
        if l.hdgst {
            let h = l.hlen as usize;
            let got = u32::from_le_bytes(all[h..h + 4].try_into().unwrap());
            assert_eq!(got, crc(&all[..h]), "host header digest");
        }
        let pdu = Pdu::parse(&all[..l.hlen as usize]).expect("host PDU");
        let data = if l.data_len > 0 {
            let d = all[l.pdo as usize..(l.pdo + l.data_len) as usize].to_vec();
            if l.ddgst {
                let at = (l.pdo + l.data_len) as usize;
                let got = u32::from_le_bytes(all[at..at + 4].try_into().unwrap());
                assert_eq!(got, crc(&d), "host data digest");
            }
            d
        } else {
            Vec::new()
        };
        Ok((pdu, data))
    }

    /// Sends a PDU with header `h` (HLEN bytes) and `data`.
    fn send(&mut self, t: PduType, h: &mut [u8], flags: PduFlags, data: &[u8]) -> R<()> {
        let l = Layout::outgoing(t, self.hdgst, self.ddgst, 0, data.len() as u32);
        let ch = CommonHeader::outgoing(t, &l, flags);
        h[..8].copy_from_slice(ch.as_bytes());
        let mut out = h.to_vec();
        if l.hdgst {
            out.extend_from_slice(&crc(h).to_le_bytes());
        }
        if !data.is_empty() {
            out.resize(l.pdo as usize, 0);
            out.extend_from_slice(data);
            if l.ddgst {
                out.extend_from_slice(&crc(data).to_le_bytes());
            }
        }
        self.s.write_all(&out)
    }

    fn resp(&mut self, cid: u16, dw0: u32, status: Status) -> R<()> {
        let mut r = CapsuleResp::new_zeroed();
        r.cqe = Completion::from_result(dw0 as u64, status);
        r.cqe.cid = cid;
        r.cqe.sqid = self.qid;
        self.send(
            PduType::CAPSULE_RESP,
            r.as_mut_bytes(),
            PduFlags::new(),
            &[],
        )
    }

    fn c2h(&mut self, cid: u16, off: u32, data: &[u8], flags: PduFlags) -> R<()> {
        let mut d = DataHdr::new_zeroed();
        d.cccid = U16::new(cid);
        d.datao = U32::new(off);
        d.datal = U32::new(data.len() as u32);
        self.send(PduType::C2H_DATA, d.as_mut_bytes(), flags, data)
    }

    fn serve(mut self) -> R<()> {
        let mut ic = [0u8; 128];
        self.s.read_exact(&mut ic)?;
        let Ok(Pdu::IcReq(req)) = Pdu::parse(&ic) else {
            panic!("first PDU not an ICReq")
        };
        let mut resp = [0u8; 128];
        resp[..8].copy_from_slice(&[1, 0, 128, 0, 128, 0, 0, 0]);
        resp[11] = req.dgst.into_bits();
        let max = if self.t.fault == Fault::BadIcResp {
            1024
        } else {
            MAXH2CDATA
        };
        resp[12..16].copy_from_slice(&max.to_le_bytes());
        self.s.write_all(&resp)?;
        self.hdgst = req.dgst.hdgst();
        self.ddgst = req.dgst.ddgst();
        loop {
            let (pdu, data) = self.recv()?;
            if let Pdu::H2cTermReq(_) = pdu {
                return Ok(());
            }
            let Pdu::CapsuleCmd(c) = pdu else {
                panic!("expected a CapsuleCmd, got {:?}", pdu.ch().pdu_type())
            };
            self.command(c.sqe, data)?;
        }
    }

    /// The write data of `sqe`: in the capsule, or pulled with R2T.
    fn write_data(&mut self, sqe: &Command, inline: Vec<u8>, fault: Fault) -> R<Vec<u8>> {
        let len = sqe.dptr[1] as u32;
        let id = (sqe.dptr[1] >> 56) as u8;
        if id == 0x01 {
            assert_eq!(inline.len() as u32, len, "in-capsule length");
            assert!(len <= ICSZ || self.qid == 0);
            return Ok(inline);
        }
        assert_eq!(id, 0x5a, "transport SGL data block");
        let mut r = R2t::new_zeroed();
        r.cccid = U16::new(sqe.cdw0.cid());
        r.ttag = U16::new(7);
        r.r2tl = U32::new(if fault == Fault::R2tTooLong {
            len + 512
        } else {
            len
        });
        self.send(PduType::R2T, r.as_mut_bytes(), PduFlags::new(), &[])?;
        if fault == Fault::R2tTooLong {
            // The host must terminate; wait for its H2CTermReq or the close.
            let mut b = [0u8; 24];
            let _ = self.s.read_exact(&mut b);
            let t = TermReq::read_from_bytes(&b).ok();
            assert_eq!(t.map(|t| t.ch.pdu_type), Some(PduType::H2C_TERM_REQ.0));
            return Err(std::io::ErrorKind::ConnectionAborted.into());
        }
        let mut out = Vec::new();
        while (out.len() as u32) < len {
            let (pdu, d) = self.recv()?;
            let Pdu::H2cData(h) = pdu else {
                panic!("expected H2CData")
            };
            assert_eq!(h.ttag.get(), 7);
            assert_eq!(h.datao.get(), out.len() as u32);
            assert!(h.datal.get() <= MAXH2CDATA);
            *self.t.h2c_pdus.lock().unwrap() += 1;
            out.extend_from_slice(&d);
            assert_eq!(h.ch.flags.last_pdu(), out.len() as u32 == len);
        }
        Ok(out)
    }

    fn command(&mut self, sqe: Command, data: Vec<u8>) -> R<()> {
        let cid = sqe.cdw0.cid();
        let op = sqe.opcode();
        assert_eq!(sqe.cdw0.psdt(), 1, "fabrics commands use SGLs");
        self.t.seen.lock().unwrap().push((self.qid, op));
        if let Some(f) = FabricsCommand::decode(&sqe) {
            return match f {
                FabricsCommand::Connect { qid, .. } => {
                    self.qid = qid;
                    if qid == 0 {
                        self.t.admins.lock().unwrap().push(self.s.try_clone()?);
                    }
                    let d = self.write_data(&sqe, data, Fault::None)?;
                    assert_eq!(d.len(), 1024);
                    self.resp(cid, 1, Status::SUCCESS)
                }
                FabricsCommand::PropertyGet { offset, .. } => {
                    let cc = *self.t.cc.lock().unwrap();
                    let v: u64 = match offset {
                        0 => 127 | 1 << 24 | 1 << 37, // MQES 127, TO 1, CSS NVM
                        8 => 0x0002_0000,
                        0x14 => cc as u64,
                        0x1c => (cc & 1) as u64,
                        _ => 0,
                    };
                    self.resp_result(cid, v)
                }
                FabricsCommand::PropertySet { offset, value, .. } => {
                    if offset == 0x14 {
                        *self.t.cc.lock().unwrap() = value as u32;
                    }
                    self.resp(cid, 0, Status::SUCCESS)
                }
                _ => self.resp(cid, 0, Status::INVALID_OPCODE),
            };
        }
        if self.qid == 0 {
            return match op {
                0x06 => {
                    let mut id = vec![0u8; 4096];
                    match sqe.cdw10 & 0xff {
                        1 => {
                            id[4..8].copy_from_slice(b"SN01");
                            id[24..32].copy_from_slice(b"peer    ");
                            id[516..520].copy_from_slice(&1u32.to_le_bytes()); // NN
                            id[1792..1796].copy_from_slice(&260u32.to_le_bytes()); // IOCCSZ
                            id[1796..1800].copy_from_slice(&1u32.to_le_bytes());
                            // IORCSZ
                            if self.t.fault == Fault::Discovery {
                                id[111] = 2; // CNTRLTYPE
                            }
                        }
                        0 if sqe.nsid == 1 => {
                            id[..8].copy_from_slice(&BLOCKS.to_le_bytes());
                            id[8..16].copy_from_slice(&BLOCKS.to_le_bytes());
                            id[16..24].copy_from_slice(&BLOCKS.to_le_bytes());
                            id[130] = 9; // LBAF0: 512-byte blocks
                        }
                        _ => {}
                    }
                    self.c2h(cid, 0, &id, PduFlags::new().with_last_pdu(true))?;
                    self.resp(cid, 0, Status::SUCCESS)
                }
                0x09 if self.t.fault == Fault::Discovery => {
                    self.resp(cid, 0, Status::INVALID_FIELD)
                }
                0x09 => self.resp(cid, 0, Status::SUCCESS), // Set Features: 1 queue
                0x18 => self.resp(cid, 0, Status::SUCCESS), // Keep Alive
                _ => self.resp(cid, 0, Status::INVALID_OPCODE),
            };
        }
        let slba = sqe.cdw10 as u64 | (sqe.cdw11 as u64) << 32;
        let nlb = (sqe.cdw12 & 0xffff) as u64 + 1;
        let (off, len) = ((slba * 512) as usize, (nlb * 512) as usize);
        if slba + nlb > BLOCKS {
            return self.resp(cid, 0, Status::LBA_OUT_OF_RANGE);
        }
        match op {
            0x01 => {
                let fault = self.fault();
                let d = self.write_data(&sqe, data, fault)?;
                self.t.media.lock().unwrap()[off..off + len].copy_from_slice(&d);
                self.resp(cid, 0, Status::SUCCESS)
            }
            0x02 => {
                let d = self.t.media.lock().unwrap()[off..off + len].to_vec();
                self.read(cid, &d)
            }
            _ => self.resp(cid, 0, Status::INVALID_OPCODE),
        }
    }

    fn resp_result(&mut self, cid: u16, v: u64) -> R<()> {
        let mut r = CapsuleResp::new_zeroed();
        r.cqe = Completion::from_result(v, Status::SUCCESS);
        r.cqe.cid = cid;
        self.send(
            PduType::CAPSULE_RESP,
            r.as_mut_bytes(),
            PduFlags::new(),
            &[],
        )
    }

    /// Sends a Read's data in two C2HData PDUs (the second with SUCCESS),
    /// or misbehaves.
    fn read(&mut self, cid: u16, d: &[u8]) -> R<()> {
        let half = (d.len() / 2) as u32;
        let last = PduFlags::new().with_last_pdu(true).with_success(true);
        match self.fault() {
            Fault::None | Fault::R2tTooLong | Fault::BadIcResp | Fault::Discovery => {
                if d.len() <= 512 {
                    // One PDU and a response capsule, the other completion path.
                    self.c2h(cid, 0, d, PduFlags::new().with_last_pdu(true))?;
                    return self.resp(cid, 0, Status::SUCCESS);
                }
                self.c2h(cid, 0, &d[..half as usize], PduFlags::new())?;
                self.c2h(cid, half, &d[half as usize..], last)
            }
            Fault::BadHlen => {
                let mut h = DataHdr::new_zeroed();
                h.ch.pdu_type = PduType::C2H_DATA.0;
                h.ch.hlen = 20;
                h.ch.plen = U32::new(24);
                self.s.write_all(h.as_bytes())
            }
            Fault::Truncated => {
                self.s.write_all(&[7, 0, 24, 24])?;
                self.s.shutdown(std::net::Shutdown::Both)
            }
            Fault::OutOfOrder => self.c2h(cid, half, &d[half as usize..], last),
            Fault::UnknownCid => self.resp(cid ^ 0x40, 0, Status::SUCCESS),
            Fault::BadHeaderDigest => {
                let mut h = DataHdr::new_zeroed();
                h.cccid = U16::new(cid);
                h.datal = U32::new(d.len() as u32);
                let l = Layout::outgoing(PduType::C2H_DATA, true, self.ddgst, 0, d.len() as u32);
                h.ch = CommonHeader::outgoing(PduType::C2H_DATA, &l, last);
                let mut out = h.as_bytes().to_vec();
                out.extend_from_slice(&(crc(h.as_bytes()) ^ 1).to_le_bytes());
                out.extend_from_slice(d);
                if l.ddgst {
                    out.extend_from_slice(&crc(d).to_le_bytes());
                }
                self.s.write_all(&out)
            }
            Fault::BadDataDigest => {
                let mut h = DataHdr::new_zeroed();
                h.cccid = U16::new(cid);
                h.datal = U32::new(d.len() as u32);
                let l = Layout::outgoing(PduType::C2H_DATA, self.hdgst, true, 0, d.len() as u32);
                h.ch = CommonHeader::outgoing(PduType::C2H_DATA, &l, last);
                let mut out = h.as_bytes().to_vec();
                if l.hdgst {
                    out.extend_from_slice(&crc(h.as_bytes()).to_le_bytes());
                }
                out.extend_from_slice(d);
                out.extend_from_slice(&(crc(d) ^ 1).to_le_bytes());
                self.s.write_all(&out)
            }
            Fault::Terminate => {
                let mut t = TermReq::new_zeroed();
                t.ch = CommonHeader {
                    pdu_type: PduType::C2H_TERM_REQ.0,
                    flags: PduFlags::new(),
                    hlen: 24,
                    pdo: 0,
                    plen: U32::new(24),
                };
                t.fes = U16::new(2);
                self.s.write_all(t.as_bytes())
            }
            Fault::Silent => {
                std::thread::sleep(Duration::from_secs(5));
                Ok(())
            }
            Fault::Close => self.s.shutdown(std::net::Shutdown::Both),
            Fault::DropAssociation => {
                for a in self.t.admins.lock().unwrap().drain(..) {
                    let _ = a.shutdown(std::net::Shutdown::Both);
                }
                self.s.shutdown(std::net::Shutdown::Both)
            }
            Fault::PastEnd => {
                let mut big = d.to_vec();
                big.extend_from_slice(&[0; 512]);
                self.c2h(cid, 0, &big, last)
            }
            Fault::EarlySuccess => self.c2h(cid, 0, &d[..half as usize], last),
        }
    }
}
