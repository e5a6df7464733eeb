//! The NVMe/TCP backend in the suite: `--ns tcp://HOST:PORT/SUBNQN[?hdgst&ddgst]`,
//! e.g. the guest's kernel nvmet-tcp target, with its own rows. The
//! namespace is the subsystem's nsid 1, or the one `--nsid` names.

use nvmeq_core::{Backend, Caps, Cmd, Completion, Data, Error, Reaped, Rejected};
use nvmeq_tcp::{TcpBackend, TcpBuf};

use super::HwBackend;
use crate::runner::Runner;
use crate::suite::Ctx;
use crate::target::Target;

/// A connection to the subsystem and the namespace under test (a fabrics
/// locator names no namespace).
#[derive(Debug)]
pub struct TcpHw {
    /// The connection.
    pub b: TcpBackend,
    nsid: u32,
}

impl std::ops::Deref for TcpHw {
    type Target = TcpBackend;
    fn deref(&self) -> &TcpBackend {
        &self.b
    }
}

impl std::ops::DerefMut for TcpHw {
    fn deref_mut(&mut self) -> &mut TcpBackend {
        &mut self.b
    }
}

impl Backend for TcpHw {
    type Buf = TcpBuf;
    fn caps(&self) -> Caps {
        self.b.caps()
    }
    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        self.b.lba_size(nsid)
    }
    fn alloc(&mut self, len: usize) -> Result<TcpBuf, Error> {
        self.b.alloc(len)
    }
    fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        self.b.execute_with(cmd, data, meta)
    }
    fn push(&mut self, cmd: &Cmd, buf: Option<TcpBuf>, tag: u64) -> Result<(), Rejected<TcpBuf>> {
        self.b.push(cmd, buf, tag)
    }
    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        self.b.submit(min_complete)
    }
    fn reap(&mut self, f: impl FnMut(Reaped<TcpBuf>)) -> usize {
        self.b.reap(f)
    }
    fn in_flight(&self) -> u32 {
        self.b.in_flight()
    }
    fn syscalls(&self) -> Option<u64> {
        self.b.syscalls()
    }
}

/// The target's locator as connection options.
pub fn options(t: &Target) -> Result<nvmeq_tcp::TcpOptions, String> {
    let spec = t.ns.to_string_lossy();
    match nvmeq::Locator::parse(&spec) {
        Ok(nvmeq::Locator::Tcp(p)) => Ok(nvmeq::tcp_options(&p)),
        Ok(_) => Err(format!(
            "{spec}: the tcp backend takes --ns tcp://HOST:PORT/SUBNQN"
        )),
        Err(e) => Err(e.to_string()),
    }
}

impl HwBackend for TcpHw {
    const NAME: &'static str = "tcp";
    const FABRICS: bool = true;
    fn open(t: &Target) -> Result<Self, String> {
        let b = TcpBackend::connect(options(t)?).map_err(|e| e.to_string())?;
        Ok(TcpHw {
            b,
            nsid: t.named_nsid.unwrap_or(1),
        })
    }
    fn set_timeout_ms(&mut self, ms: u32) {
        self.b
            .set_timeout(std::time::Duration::from_millis(ms as u64));
    }
    fn nsid(&self) -> u32 {
        self.nsid
    }
    fn extra_tests(ctx: &mut Ctx<Self>, r: &Runner, label: &str) {
        crate::tcp::run(ctx, r, label);
    }
}
