//! Discovery: the Discovery log page of a discovery controller, as
//! `nvme discover` reads it.

use nvmeq_core::fabrics::discovery::{get_log, log_len, DiscoveryLogHeader};
use nvmeq_core::fabrics::DISCOVERY_NQN;
use zerocopy::FromBytes;

use crate::connect;
use crate::error::OpenError;
use crate::TcpOptions;

/// Largest Discovery log read (1023 entries): a bound against a NUMREC that
/// would make the host allocate without limit.
const MAX_LOG: u64 = 1024 * 1024;

/// Reads the Discovery log page from the discovery controller at
/// `opts.host:opts.port` (the subsystem NQN in `opts` is replaced by the
/// well-known discovery NQN unless it names another discovery subsystem).
/// Returns the raw page: the header and NUMREC entries (parse it with
/// [`nvmeq_core::fabrics::discovery::DiscoveryLog`]).
pub fn discover(opts: &TcpOptions) -> Result<Vec<u8>, OpenError> {
    let mut o = opts.clone();
    if o.subnqn.is_empty() {
        o.subnqn = DISCOVERY_NQN.into();
    }
    // A one-shot discovery controller connection, as `nvme discover` makes:
    // no keep-alive.
    o.kato = std::time::Duration::ZERO;
    let mut a = connect::admin(&o)?;
    let step = |step| move |source| OpenError::Command { step, source };
    for _ in 0..3 {
        let mut h = vec![0u8; 1024];
        let cmd = get_log(0, 1024).ok_or(OpenError::BadOption("log length".into()))?;
        connect::run(&mut a.queue, &cmd, Some(&mut h))
            .map_err(step("Get Log Page Discovery (header)"))?;
        let hdr = DiscoveryLogHeader::read_from_bytes(&h[..]).map_err(|_| OpenError::Command {
            step: "Get Log Page Discovery (header)",
            source: nvmeq_core::Error::Malformed("Discovery log header"),
        })?;
        let (genctr, numrec) = (hdr.genctr.get(), hdr.numrec.get());
        let len = log_len(numrec);
        if len > MAX_LOG {
            return Err(OpenError::Command {
                step: "Get Log Page Discovery",
                source: nvmeq_core::Error::Malformed("Discovery log with more than 1023 records"),
            });
        }
        let mut log = vec![0u8; len as usize];
        let cmd = get_log(0, len as u32).ok_or(OpenError::BadOption("log length".into()))?;
        connect::run(&mut a.queue, &cmd, Some(&mut log)).map_err(step("Get Log Page Discovery"))?;
        let again =
            DiscoveryLogHeader::read_from_bytes(&log[..1024]).map_err(|_| OpenError::Command {
                step: "Get Log Page Discovery",
                source: nvmeq_core::Error::Malformed("Discovery log header"),
            })?;
        // The log changed between the reads (GENCTR): read it again.
        if again.genctr.get() == genctr && again.numrec.get() == numrec {
            a.queue.close();
            return Ok(log);
        }
    }
    Err(OpenError::Command {
        step: "Get Log Page Discovery",
        source: nvmeq_core::Error::Malformed(
            "Discovery log that kept changing (GENCTR) over 3 reads",
        ),
    })
}
