//! [`Queue`]: one NVMe/TCP connection — one submission/completion queue
//! pair — and the state machine that moves its commands' data.
//!
//! A command takes a slot whose index is its CID. Its buffer is moved into
//! the slot and stays there until its completion is recorded, so the
//! transport is the only writer while the command is in flight. Writes up
//! to the in-capsule size travel in the Command Capsule; larger ones wait
//! for R2Ts and go out in H2CData PDUs of at most MAXH2CDATA bytes. Reads
//! arrive in C2HData PDUs, each checked against the command (its CID in
//! flight, the direction, offsets in order and within the transfer) before a
//! byte lands in the buffer; a C2HData with SUCCESS completes the command.
//!
//! Any PDU that breaks the rules, a digest mismatch, a Terminate Connection
//! Request, a socket error or a command past its deadline ends the
//! connection: every command in flight completes with an error and its
//! buffer, and the queue refuses new commands until it is replaced.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use nvmeq_core::fabrics::sgl::{in_capsule, transport, PSDT_SGL};
use nvmeq_core::fabrics::tcp::{
    CapsuleCmd, CommonHeader, DataHdr, Fes, Layout, Pdu, PduError, PduFlags, PduType, TermReq,
    DIGEST_LEN,
};
use nvmeq_core::{Cmd, Completion, DataDir, Error, IoBuf, Reaped, Rejected, Status};
use zerocopy::byteorder::little_endian::{U16, U32};
use zerocopy::{FromZeros, IntoBytes};

use crate::buf::TcpBuf;
use crate::digest::crc;

/// What the connection negotiated and the limits that follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Header digests on.
    pub hdgst: bool,
    /// Data digests on.
    pub ddgst: bool,
    /// Controller PDU data alignment (zero-based dwords) for data the host sends.
    pub cpda: u8,
    /// Largest H2CData payload.
    pub maxh2cdata: u32,
    /// Largest in-capsule write (0: none).
    pub icsz: u32,
    /// How long a command may be in flight.
    pub timeout: Duration,
}

/// Why a connection stopped, kept for the commands after it.
const LOST: Error = Error::Aborted("the NVMe/TCP connection was lost with the command in flight");
const CLOSED: Error =
    Error::Aborted("the NVMe/TCP connection is closed: reconnect before sending more commands");

#[derive(Debug, Default)]
struct Slot {
    busy: bool,
    sent: bool,
    sync: bool,
    tag: u64,
    sqe: nvmeq_core::Command,
    dir: Option<DataDir>,
    len: u32,
    inline: bool,
    buf: Option<TcpBuf>,
    /// Bytes received (reads) or sent after R2T (writes).
    done_bytes: u32,
    deadline: Option<Instant>,
    result: Option<Result<Completion, Error>>,
}

/// Bytes of receive buffer: headers and small data PDUs land here; larger
/// data is read straight into the command's buffer.
const RX_CAP: usize = 64 * 1024;

/// One NVMe/TCP queue.
pub struct Queue {
    stream: TcpStream,
    /// Queue ID (0: admin).
    pub qid: u16,
    /// What the connection negotiated.
    pub params: Params,
    slots: Box<[Slot]>,
    free: Vec<u16>,
    unsent: Vec<u16>,
    /// Queue-interface commands pushed and not yet completed.
    busy_async: u32,
    /// Commands sent, in the order sent, with their deadlines (which follow
    /// that order): the earliest live one is at the front once entries of
    /// commands that completed are dropped from it.
    sent_order: VecDeque<(Instant, u16)>,
    done: VecDeque<Reaped<TcpBuf>>,
    tx: Vec<u8>,
    rx: Vec<u8>,
    rx_pos: usize,
    rx_end: usize,
    failed: Option<Error>,
    /// The socket's read timeout as last set (`None`: not yet).
    armed: Option<Duration>,
    /// Socket calls so far (reads, writes, polls, read-timeout changes).
    pub syscalls: u64,
}

impl core::fmt::Debug for Queue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Queue")
            .field("qid", &self.qid)
            .field("params", &self.params)
            .field("slots", &self.slots.len())
            .field("failed", &self.failed)
            .finish()
    }
}

/// How a PDU broke the connection.
struct Fatal {
    error: Error,
    /// The command the error belongs to, which gets `error` itself.
    cid: Option<u16>,
    /// Terminate with this status and the offending header (H2CTermReq).
    term: Option<(Fes, u32)>,
}

impl Fatal {
    fn pdu(e: PduError, cid: Option<u16>) -> Self {
        Fatal {
            error: Error::Pdu(e),
            cid,
            term: Some((e.fes(), 0)),
        }
    }
    fn seq(what: &'static str, cid: Option<u16>) -> Self {
        Fatal {
            error: Error::Malformed(what),
            cid,
            term: Some((Fes::PDU_SEQUENCE, 0)),
        }
    }
    fn range(what: &'static str, cid: u16, fei: u32) -> Self {
        Fatal {
            error: Error::Malformed(what),
            cid: Some(cid),
            term: Some((Fes::DATA_OUT_OF_RANGE, fei)),
        }
    }
    fn io(e: &io::Error) -> Self {
        let error = match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                return Fatal {
                    error: Error::Timeout { ms: 0 },
                    cid: None,
                    term: None,
                }
            }
            io::ErrorKind::UnexpectedEof => {
                Error::Aborted("the NVMe/TCP target closed the connection")
            }
            _ => Error::Os {
                op: "NVMe/TCP socket",
                errno: e.raw_os_error().unwrap_or(libc_eio()),
            },
        };
        Fatal {
            error,
            cid: None,
            term: None,
        }
    }
}

const fn libc_eio() -> i32 {
    5
}

/// A C2HTermReq's FES as a sentence (the error keeps `&'static str`s).
fn term_reason(fes: Fes) -> &'static str {
    match fes {
        Fes::INVALID_PDU_HEADER => {
            "the NVMe/TCP target terminated the connection: Invalid PDU Header Field"
        }
        Fes::PDU_SEQUENCE => "the NVMe/TCP target terminated the connection: PDU Sequence Error",
        Fes::HEADER_DIGEST => "the NVMe/TCP target terminated the connection: Header Digest Error",
        Fes::DATA_OUT_OF_RANGE => {
            "the NVMe/TCP target terminated the connection: Data Transfer Out of Range"
        }
        Fes::LIMIT_EXCEEDED => {
            "the NVMe/TCP target terminated the connection: Data Transfer Limit Exceeded"
        }
        Fes::UNSUPPORTED_PARAMETER => {
            "the NVMe/TCP target terminated the connection: Unsupported Parameter"
        }
        _ => "the NVMe/TCP target terminated the connection (unknown fatal error status)",
    }
}

impl Queue {
    /// A queue over an initialized connection (ICReq/ICResp done) with
    /// `depth` command slots.
    pub fn new(stream: TcpStream, qid: u16, params: Params, depth: u16) -> Self {
        let depth = depth.max(1);
        Queue {
            stream,
            qid,
            params,
            slots: (0..depth).map(|_| Slot::default()).collect(),
            free: (0..depth).rev().collect(),
            unsent: Vec::with_capacity(depth as usize),
            busy_async: 0,
            sent_order: VecDeque::with_capacity(2 * depth as usize),
            done: VecDeque::with_capacity(depth as usize),
            tx: Vec::with_capacity(64 * 1024),
            rx: vec![0; RX_CAP],
            rx_pos: 0,
            rx_end: 0,
            failed: None,
            armed: None,
            syscalls: 0,
        }
    }

    /// Command slots.
    pub fn depth(&self) -> u32 {
        self.slots.len() as u32
    }

    /// Why the connection is unusable, if it is.
    pub fn failed(&self) -> Option<Error> {
        self.failed
    }

    /// Queue-interface commands not yet reaped (in flight or done).
    pub fn in_flight(&self) -> u32 {
        self.busy_async + self.done.len() as u32
    }

    /// Completions ready to reap.
    pub fn ready(&self) -> usize {
        self.done.len()
    }

    /// Takes a slot for `cmd` moving `len` bytes in `dir` with `buf`.
    pub fn push(
        &mut self,
        cmd: &Cmd,
        dir: DataDir,
        len: u32,
        buf: Option<TcpBuf>,
        tag: u64,
        sync: bool,
    ) -> Result<u16, Rejected<TcpBuf>> {
        if let Some(e) = self.failed {
            let error = if matches!(e, Error::Aborted(_)) {
                e
            } else {
                CLOSED
            };
            return Err(Rejected::Invalid { error, buf });
        }
        if len > 0 && buf.as_ref().map_or(0, |b| b.len()) < len as usize {
            return Err(Rejected::Invalid {
                error: Error::BufferTooSmall {
                    need: len as u64,
                    have: buf.as_ref().map_or(0, |b| b.len()),
                },
                buf,
            });
        }
        let Some(cid) = self.free.pop() else {
            return Err(Rejected::Full(buf));
        };
        let inline = dir == DataDir::ToDevice && len > 0 && len <= self.params.icsz;
        let mut sqe = cmd.sqe;
        sqe.cdw0 = sqe.cdw0.with_cid(cid).with_psdt(PSDT_SGL);
        sqe.mptr = 0;
        sqe.dptr = if inline {
            in_capsule(0, len).to_dptr()
        } else {
            transport(len).to_dptr()
        };
        let s = &mut self.slots[cid as usize];
        *s = Slot {
            busy: true,
            sent: false,
            sync,
            tag,
            sqe,
            dir: Some(if len == 0 { DataDir::None } else { dir }),
            len,
            inline,
            buf,
            done_bytes: 0,
            deadline: None,
            result: None,
        };
        if !sync {
            self.busy_async += 1;
        }
        self.unsent.push(cid);
        Ok(cid)
    }

    /// Sends every pushed command in one write.
    pub fn flush(&mut self) -> Result<u32, Error> {
        if self.unsent.is_empty() {
            return Ok(0);
        }
        self.tx.clear();
        let p = self.params;
        let now = Instant::now();
        let n = self.unsent.len() as u32;
        for &cid in &self.unsent {
            let s = &mut self.slots[cid as usize];
            let data_len = if s.inline { s.len } else { 0 };
            let l = Layout::outgoing(PduType::CAPSULE_CMD, p.hdgst, p.ddgst, p.cpda, data_len);
            let pdu = CapsuleCmd {
                ch: CommonHeader::outgoing(PduType::CAPSULE_CMD, &l, PduFlags::new()),
                sqe: s.sqe,
            };
            let data = match &s.buf {
                Some(b) if s.inline => &b.as_slice()[..s.len as usize],
                _ => &[],
            };
            put_pdu(&mut self.tx, pdu.as_bytes(), &l, data);
            s.sent = true;
            s.deadline = Some(now + p.timeout);
            self.sent_order.push_back((now + p.timeout, cid));
        }
        self.unsent.clear();
        // Entries of completed commands behind a long-lived one: drop them
        // before the list outgrows a few rounds of the queue.
        if self.sent_order.len() > 4 * self.slots.len() {
            let slots = &self.slots;
            self.sent_order
                .retain(|&(d, c)| Self::live(&slots[c as usize], d));
        }
        self.syscalls += 1;
        if let Err(e) = self.stream.write_all(&self.tx) {
            self.fail(Fatal::io(&e));
            return Err(self.failed.unwrap_or(LOST));
        }
        Ok(n)
    }

    /// Waits until the queue interface has `min` completions ready, then
    /// takes what else has arrived without waiting.
    pub fn wait_ready(&mut self, min: usize) {
        while self.done.len() < min && self.failed.is_none() {
            self.step(true);
        }
        // Take what else has arrived, unless nothing else is outstanding:
        // then the look is a recv that finds nothing (one per I/O at QD 1).
        if self.busy_async > 0 || self.rx_end > self.rx_pos {
            self.poll();
        }
    }

    /// Processes the PDUs already received, without blocking.
    pub fn poll(&mut self) {
        while self.failed.is_none() && self.step(false) {}
    }

    /// Runs one command to completion (for the synchronous path): pushes it
    /// with `buf`, sends it, and processes PDUs until it completes.
    pub fn run(
        &mut self,
        cmd: &Cmd,
        dir: DataDir,
        len: u32,
        buf: Option<TcpBuf>,
    ) -> (Result<Completion, Error>, Option<TcpBuf>) {
        let cid = match self.push(cmd, dir, len, buf, 0, true) {
            Ok(c) => c,
            Err(Rejected::Full(b)) => return (Err(Error::QueueFull), b),
            Err(Rejected::Invalid { error, buf }) => return (Err(error), buf),
        };
        // A flush failure has already completed the slot with its error.
        let _ = self.flush();
        while self.slots[cid as usize].result.is_none() {
            self.step(true);
        }
        let s = &mut self.slots[cid as usize];
        let r = s.result.take().unwrap_or(Err(LOST));
        let b = s.buf.take();
        s.busy = false;
        self.free.push(cid);
        (r, b)
    }

    /// Hands every ready completion to `f`.
    pub fn reap(&mut self, mut f: impl FnMut(Reaped<TcpBuf>)) -> usize {
        let mut n = 0;
        while let Some(r) = self.done.pop_front() {
            f(r);
            n += 1;
        }
        n
    }

    /// Closes the connection: commands in flight complete with an error.
    pub fn close(&mut self) {
        if self.failed.is_none() {
            self.fail(Fatal {
                error: CLOSED,
                cid: None,
                term: None,
            });
        }
    }

    /// Whether `s` is still the command sent with deadline `d`, in flight.
    fn live(s: &Slot, d: Instant) -> bool {
        s.busy && s.sent && s.result.is_none() && s.deadline == Some(d)
    }

    /// The earliest deadline of a command in flight: the front of the sent
    /// list, after dropping the entries of commands that completed.
    fn deadline(&mut self) -> Option<Instant> {
        while let Some(&(d, c)) = self.sent_order.front() {
            if Self::live(&self.slots[c as usize], d) {
                return Some(d);
            }
            self.sent_order.pop_front();
        }
        None
    }

    /// Receives and handles one PDU. With `block` false, returns false at
    /// once when no byte is waiting. Returns true when a PDU was handled.
    fn step(&mut self, block: bool) -> bool {
        if self.failed.is_some() {
            return false;
        }
        if self.rx_end == self.rx_pos {
            if !block {
                match self.try_fill() {
                    Ok(true) => {}
                    Ok(false) => return false,
                    Err(f) => {
                        self.fail(f);
                        return false;
                    }
                }
            } else if self.deadline().is_none() && self.unsent.is_empty() {
                // Nothing in flight: nothing will arrive.
                let busy = self.slots.iter().any(|s| s.busy && s.result.is_none());
                if !busy {
                    return false;
                }
            }
        }
        match self.handle_pdu() {
            Ok(()) => true,
            Err(f) => {
                self.fail(f);
                false
            }
        }
    }

    /// Reads what the socket holds without blocking; false when nothing.
    fn try_fill(&mut self) -> Result<bool, Fatal> {
        self.compact();
        self.syscalls += 1;
        match rustix::net::recv(
            &self.stream,
            &mut self.rx[self.rx_end..],
            rustix::net::RecvFlags::DONTWAIT,
        ) {
            Ok((0, _)) => Err(Fatal::io(&io::ErrorKind::UnexpectedEof.into())),
            Ok((n, _)) => {
                self.rx_end += n;
                Ok(true)
            }
            Err(rustix::io::Errno::AGAIN) => Ok(false),
            Err(rustix::io::Errno::INTR) => Ok(false),
            Err(e) => Err(Fatal::io(&io::Error::from_raw_os_error(e.raw_os_error()))),
        }
    }

    fn compact(&mut self) {
        if self.rx_pos > 0 {
            self.rx.copy_within(self.rx_pos..self.rx_end, 0);
            self.rx_end -= self.rx_pos;
            self.rx_pos = 0;
        }
    }

    /// Bounds the next blocking read by the time left before the earliest
    /// deadline (the queue's timeout when none is set). Setting the timeout
    /// is a syscall, so it is set again only when what is armed is more than
    /// [`slack`] longer than what is left; a read that times out before the
    /// deadline ([`Self::early`]) sets it then and reads again. A late
    /// command is thus found at most `slack` after its deadline.
    fn arm_timeout(&mut self) -> Result<(), Fatal> {
        let left = match self.deadline() {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => self.params.timeout,
        };
        if left.is_zero() {
            return Err(Fatal::io(&io::ErrorKind::TimedOut.into()));
        }
        match self.armed {
            Some(a) if a <= left + slack(self.params.timeout) => Ok(()),
            _ => self.set_timeout(left),
        }
    }

    fn set_timeout(&mut self, left: Duration) -> Result<(), Fatal> {
        let t = left.max(Duration::from_millis(1));
        self.syscalls += 1;
        self.stream
            .set_read_timeout(Some(t))
            .map_err(|e| Fatal::io(&e))?;
        self.armed = Some(t);
        Ok(())
    }

    /// After a read timed out: re-arms and returns true when the earliest
    /// deadline is still ahead (the armed timeout was shorter than what was
    /// left), false when the command is late.
    fn early(&mut self) -> Result<bool, Fatal> {
        let left = match self.deadline() {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => Duration::ZERO,
        };
        if left.is_zero() {
            return Ok(false);
        }
        self.set_timeout(left)?;
        Ok(true)
    }

    /// Makes `n` bytes (at most [`RX_CAP`]) available from `rx_pos`.
    fn fill(&mut self, n: usize) -> Result<(), Fatal> {
        if self.rx_end - self.rx_pos >= n {
            return Ok(());
        }
        if self.rx_pos + n > self.rx.len() {
            self.compact();
        }
        self.arm_timeout()?;
        while self.rx_end - self.rx_pos < n {
            self.syscalls += 1;
            match self.stream.read(&mut self.rx[self.rx_end..]) {
                Ok(0) => return Err(Fatal::io(&io::ErrorKind::UnexpectedEof.into())),
                Ok(k) => self.rx_end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if timed_out(&e) && self.early()? => {}
                Err(e) => return Err(Fatal::io(&e)),
            }
        }
        Ok(())
    }

    /// Copies `len` bytes of the stream to `buf` of command `cid` at `off`:
    /// first what is buffered, then straight from the socket.
    fn read_into(&mut self, cid: u16, off: usize, len: usize) -> Result<(), Fatal> {
        let have = (self.rx_end - self.rx_pos).min(len);
        let Some(buf) = self.slots[cid as usize].buf.as_mut() else {
            return Err(Fatal::range(
                "NVMe/TCP C2HData for a command without a buffer",
                cid,
                8,
            ));
        };
        let dst = &mut buf.as_mut_slice()[off..off + len];
        dst[..have].copy_from_slice(&self.rx[self.rx_pos..self.rx_pos + have]);
        self.rx_pos += have;
        let mut got = have;
        while got < len {
            self.syscalls += 1;
            let Some(buf) = self.slots[cid as usize].buf.as_mut() else {
                return Err(Fatal::range(
                    "NVMe/TCP C2HData for a command without a buffer",
                    cid,
                    8,
                ));
            };
            let r = self
                .stream
                .read(&mut buf.as_mut_slice()[off + got..off + len]);
            match r {
                Ok(0) => return Err(Fatal::io(&io::ErrorKind::UnexpectedEof.into())),
                Ok(k) => got += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if timed_out(&e) && self.early()? => {}
                Err(e) => return Err(Fatal::io(&e)),
            }
        }
        Ok(())
    }

    fn skip(&mut self, n: usize) -> Result<(), Fatal> {
        let mut left = n;
        while left > 0 {
            let k = left.min(RX_CAP);
            self.fill(k)?;
            self.rx_pos += k;
            left -= k;
        }
        Ok(())
    }

    /// Receives one PDU and acts on it.
    fn handle_pdu(&mut self) -> Result<(), Fatal> {
        let p = self.params;
        self.fill(CommonHeader::LEN)?;
        let ch = CommonHeader::parse(&self.rx[self.rx_pos..self.rx_end])
            .map_err(|e| Fatal::pdu(e, None))?;
        let l = ch
            .layout(p.hdgst, p.ddgst)
            .map_err(|e| Fatal::pdu(e, None))?;
        let hl = l.header_len() as usize;
        self.fill(hl)?;
        let hdr = &self.rx[self.rx_pos..self.rx_pos + hl];
        if l.hdgst {
            let h = l.hlen as usize;
            let got = u32::from_le_bytes([hdr[h], hdr[h + 1], hdr[h + 2], hdr[h + 3]]);
            let want = crc(&hdr[..h]);
            if got != want {
                return Err(Fatal::pdu(
                    PduError::HeaderDigest {
                        pdu_type: ch.pdu_type(),
                        got,
                        want,
                    },
                    None,
                ));
            }
        }
        let pdu = Pdu::parse(hdr).map_err(|e| Fatal::pdu(e, None))?;
        self.rx_pos += hl;
        match pdu {
            Pdu::CapsuleResp(r) => self.on_resp(r.cqe),
            Pdu::C2hData(d) => self.on_c2h(&d, &l),
            Pdu::R2t(r) => self.on_r2t(r.cccid.get(), r.ttag.get(), r.r2to.get(), r.r2tl.get()),
            Pdu::C2hTermReq(t) => {
                let _ = self.skip(l.data_len as usize);
                Err(Fatal {
                    error: Error::Aborted(term_reason(Fes(t.fes.get()))),
                    cid: None,
                    term: None,
                })
            }
            _ => Err(Fatal::seq(
                "NVMe/TCP PDU a controller does not send (PDU Sequence Error)",
                None,
            )),
        }
    }

    /// The in-flight command `cid`, or the error for a CID that is not.
    fn sent_slot(&self, cid: u16) -> Result<(), Fatal> {
        match self.slots.get(cid as usize) {
            Some(s) if s.busy && s.sent && s.result.is_none() => Ok(()),
            _ => Err(Fatal {
                error: Error::UnexpectedCid { cid },
                cid: None,
                term: Some((Fes::INVALID_PDU_HEADER, 8)),
            }),
        }
    }

    fn on_resp(&mut self, cqe: Completion) -> Result<(), Fatal> {
        let cid = cqe.cid;
        self.sent_slot(cid)?;
        let s = &self.slots[cid as usize];
        let short = s.dir == Some(DataDir::FromDevice) && s.done_bytes < s.len;
        let result = match cqe.ok() {
            Ok(_) if short => Err(Error::Malformed(
                "NVMe/TCP response: a successful read returned fewer bytes than it transfers",
            )),
            r => r,
        };
        self.complete(cid, result);
        Ok(())
    }

    fn on_c2h(&mut self, d: &DataHdr, l: &Layout) -> Result<(), Fatal> {
        let cid = d.cccid.get();
        self.sent_slot(cid)?;
        let (off, len) = (d.datao.get(), d.datal.get());
        let s = &self.slots[cid as usize];
        if !matches!(s.dir, Some(DataDir::FromDevice | DataDir::Both)) {
            return Err(Fatal::seq(
                "NVMe/TCP C2HData for a command that reads no data",
                Some(cid),
            ));
        }
        if len != l.data_len {
            return Err(Fatal::range(
                "NVMe/TCP C2HData: DATAL disagrees with PLEN",
                cid,
                16,
            ));
        }
        if off != s.done_bytes {
            return Err(Fatal::range(
                "NVMe/TCP C2HData out of order: DATAO is not where the data so far ends",
                cid,
                12,
            ));
        }
        if off.checked_add(len).is_none_or(|e| e > s.len) {
            return Err(Fatal::range(
                "NVMe/TCP C2HData past the end of the command's transfer",
                cid,
                16,
            ));
        }
        self.skip(l.pad() as usize)?;
        let (o, n) = (off as usize, len as usize);
        self.read_into(cid, o, n)?;
        if l.ddgst {
            let want = match self.slots[cid as usize].buf.as_ref() {
                Some(b) => crc(&b.as_slice()[o..o + n]),
                None => 0,
            };
            self.fill(DIGEST_LEN as usize)?;
            let b = &self.rx[self.rx_pos..self.rx_pos + 4];
            let got = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            self.rx_pos += 4;
            if got != want {
                return Err(Fatal::pdu(
                    PduError::DataDigest {
                        pdu_type: PduType::C2H_DATA,
                        got,
                        want,
                    },
                    Some(cid),
                ));
            }
        }
        let s = &mut self.slots[cid as usize];
        s.done_bytes += len;
        if d.ch.flags.success() {
            if s.done_bytes != s.len {
                return Err(Fatal::range(
                    "NVMe/TCP C2HData SUCCESS before all of the command's data",
                    cid,
                    1,
                ));
            }
            let mut c = Completion::from_result(0, Status::SUCCESS);
            c.cid = cid;
            c.sqid = self.qid;
            self.complete(cid, Ok(c));
        }
        Ok(())
    }

    fn on_r2t(&mut self, cid: u16, ttag: u16, off: u32, len: u32) -> Result<(), Fatal> {
        self.sent_slot(cid)?;
        let p = self.params;
        let s = &self.slots[cid as usize];
        if s.dir != Some(DataDir::ToDevice) || s.inline {
            return Err(Fatal::seq(
                "NVMe/TCP R2T for a command with no data left to send",
                Some(cid),
            ));
        }
        if off != s.done_bytes {
            return Err(Fatal::range(
                "NVMe/TCP R2T out of order: R2TO is not where the data sent so far ends",
                cid,
                12,
            ));
        }
        if len == 0 || off.checked_add(len).is_none_or(|e| e > s.len) {
            return Err(Fatal::range(
                "NVMe/TCP R2T asks for data outside the command's transfer",
                cid,
                16,
            ));
        }
        let Some(buf) = s.buf.as_ref() else {
            return Err(Fatal::range(
                "NVMe/TCP R2T for a command without a buffer",
                cid,
                8,
            ));
        };
        self.tx.clear();
        let mut at = off;
        let end = off + len;
        while at < end {
            let n = (end - at).min(p.maxh2cdata);
            let l = Layout::outgoing(PduType::H2C_DATA, p.hdgst, p.ddgst, p.cpda, n);
            let last = at + n == end;
            let mut h = DataHdr::new_zeroed();
            h.ch =
                CommonHeader::outgoing(PduType::H2C_DATA, &l, PduFlags::new().with_last_pdu(last));
            h.cccid = U16::new(cid);
            h.ttag = U16::new(ttag);
            h.datao = U32::new(at);
            h.datal = U32::new(n);
            put_pdu(
                &mut self.tx,
                h.as_bytes(),
                &l,
                &buf.as_slice()[at as usize..(at + n) as usize],
            );
            at += n;
        }
        self.syscalls += 1;
        self.stream.write_all(&self.tx).map_err(|e| Fatal::io(&e))?;
        self.slots[cid as usize].done_bytes = end;
        Ok(())
    }

    /// Records `cid`'s result: a queue-interface command goes to the ready
    /// list with its buffer; a synchronous one keeps both in its slot.
    fn complete(&mut self, cid: u16, result: Result<Completion, Error>) {
        let s = &mut self.slots[cid as usize];
        if s.sync {
            s.result = Some(result);
            return;
        }
        let r = Reaped {
            tag: s.tag,
            result,
            buf: s.buf.take(),
            meta: None,
        };
        s.busy = false;
        s.sent = false;
        self.busy_async -= 1;
        self.done.push_back(r);
        self.free.push(cid);
    }

    /// Ends the connection: terminates it when the host found the error,
    /// and completes every command in flight with an error and its buffer.
    fn fail(&mut self, f: Fatal) {
        if let Some((fes, fei)) = f.term {
            let mut t = TermReq::new_zeroed();
            t.ch = CommonHeader {
                pdu_type: PduType::H2C_TERM_REQ.0,
                flags: PduFlags::new(),
                hlen: 24,
                pdo: 0,
                plen: U32::new(24),
            };
            t.fes = U16::new(fes.0);
            t.fei = U32::new(fei);
            let _ = self.stream.write_all(t.as_bytes());
        }
        let _ = self.stream.shutdown(Shutdown::Both);
        let now = Instant::now();
        let timeout_ms = self.params.timeout.as_millis().min(u32::MAX as u128) as u32;
        let timed_out = matches!(f.error, Error::Timeout { .. });
        let why = if timed_out {
            Error::Timeout { ms: timeout_ms }
        } else {
            f.error
        };
        self.failed = Some(why);
        for cid in 0..self.slots.len() as u16 {
            let s = &self.slots[cid as usize];
            if !s.busy || s.result.is_some() {
                continue;
            }
            let expired = s.deadline.is_some_and(|d| d <= now);
            // The error goes to the command it concerns; with none named,
            // every command gets it (a dead socket, a malformed header).
            let e = match f.cid {
                Some(c) if c == cid => why,
                None if !timed_out || expired => why,
                _ => LOST,
            };
            self.complete(cid, Err(e));
        }
        self.unsent.clear();
        self.sent_order.clear();
    }
}

/// A read that ended because the socket's read timeout passed.
fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// How much later than its deadline a late command may be found: an
/// eighth of the timeout, at most 100 ms.
fn slack(timeout: Duration) -> Duration {
    (timeout / 8).min(Duration::from_millis(100))
}

/// Appends one PDU: `header` (HLEN bytes), its digest, padding, `data` and
/// its digest, as `l` lays them out.
fn put_pdu(tx: &mut Vec<u8>, header: &[u8], l: &Layout, data: &[u8]) {
    let start = tx.len();
    tx.extend_from_slice(header);
    if l.hdgst {
        let d = crc(header);
        tx.extend_from_slice(&d.to_le_bytes());
    }
    if l.data_len > 0 {
        tx.resize(start + l.pdo as usize, 0);
        tx.extend_from_slice(data);
        if l.ddgst {
            tx.extend_from_slice(&crc(data).to_le_bytes());
        }
    }
}
