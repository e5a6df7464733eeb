//! The NVMe/TCP backend in the suite: `--ns tcp://HOST:PORT/SUBNQN[?hdgst&ddgst]`,
//! e.g. the guest's kernel nvmet-tcp target, with its own rows.

use super::HwBackend;
use crate::runner::Runner;
use crate::suite::Ctx;
use crate::target::Target;
use nvmeq_tcp::TcpBackend;

impl HwBackend for TcpBackend {
    const NAME: &'static str = "tcp";
    const FABRICS: bool = true;
    fn open(t: &Target) -> Result<Self, String> {
        let spec = t.ns.to_string_lossy();
        match nvmeq::Locator::parse(&spec) {
            Ok(nvmeq::Locator::Tcp(p)) => {
                TcpBackend::connect(nvmeq::tcp_options(&p)).map_err(|e| e.to_string())
            }
            Ok(_) => Err(format!(
                "{spec}: the tcp backend takes --ns tcp://HOST:PORT/SUBNQN"
            )),
            Err(e) => Err(e.to_string()),
        }
    }
    fn set_timeout_ms(&mut self, ms: u32) {
        TcpBackend::set_timeout(self, std::time::Duration::from_millis(ms as u64));
    }
    fn nsid(&self) -> u32 {
        // The subsystem's first namespace; `--nsid` names another.
        1
    }
    fn extra_tests(ctx: &mut Ctx<Self>, r: &Runner, label: &str) {
        crate::tcp::run(ctx, r, label);
    }
}
