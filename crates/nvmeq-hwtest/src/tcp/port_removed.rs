//! `tcp-port-removed`: the target's port goes away while nvmeq-tcp has a
//! queue of reads in flight. On a Linux nvmet target on this machine (its
//! configfs is here), the row adds a port of its own for the subsystem,
//! connects there, keeps QD reads in flight and, from another thread,
//! unlinks the subsystem from the port and removes the port. Every command
//! must end, with an error once the connection is gone, within the
//! connection's timeout; every buffer must come back exactly once; a
//! reconnect must fail at once while the port is gone and work once it is
//! back, reading the data written before. The suite's own connection, on
//! the first port, must not notice.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nvmeq_core::cmd::Read;
use nvmeq_core::{Backend, Error, IoBuf, Rejected};
use nvmeq_tcp::{TcpBackend, TcpOptions};

use crate::pattern::fill;
use crate::registry::tcp::TcpHw;
use crate::runner::TestResult;
use crate::suite::Ctx;

const NVMET: &str = "/sys/kernel/config/nvmet";
/// Reads kept in flight (at most the queue's depth; at least 8).
const QD: u32 = 32;
/// The connection's command timeout for this row.
const TIMEOUT: Duration = Duration::from_secs(5);
/// How long the reads run before the port goes.
const BEFORE: Duration = Duration::from_millis(300);
/// Tries at losing the connection with reads in flight.
const ATTEMPTS: u32 = 20;
/// Time allowed beyond the timeout for the last completion (scheduling).
const SLACK: Duration = Duration::from_secs(1);

/// The subsystem's directory in the local nvmet configfs, or why the row
/// cannot apply here.
pub fn applies(ctx: &Ctx<TcpHw>) -> Result<PathBuf, String> {
    let o = ctx.b.options();
    let sub = Path::new(NVMET).join("subsystems").join(&o.subnqn);
    if !sub.is_dir() {
        return Err(format!(
            "{} is not in this machine's nvmet configfs ({NVMET}): the target's port can only be removed where the target runs",
            o.subnqn
        ));
    }
    if !matches!(o.host.as_str(), "127.0.0.1" | "localhost") {
        return Err(format!(
            "the target is reached at {}, not 127.0.0.1: a port of the row's own would not be on that address",
            o.host
        ));
    }
    Ok(sub)
}

/// A port of the row's own exporting the subsystem; removed on drop.
struct Port {
    dir: PathBuf,
    link: PathBuf,
    sub: PathBuf,
    trsvcid: u16,
}

fn write(p: &Path, v: &str) -> Result<(), String> {
    std::fs::write(p, v).map_err(|e| format!("writing {v} to {}: {e}", p.display()))
}

impl Port {
    /// The first free port id, on a TCP port nothing listens on.
    fn create(sub: &Path) -> Result<Port, String> {
        let ports = Path::new(NVMET).join("ports");
        let id = (2..1000u16)
            .find(|i| !ports.join(i.to_string()).exists())
            .ok_or("no free nvmet port id below 1000")?;
        let trsvcid = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("finding a free TCP port: {e}"))?
            .port();
        let dir = ports.join(id.to_string());
        let nqn = sub.file_name().ok_or("subsystem path")?;
        let p = Port {
            link: dir.join("subsystems").join(nqn),
            dir,
            sub: sub.to_path_buf(),
            trsvcid,
        };
        std::fs::create_dir(&p.dir).map_err(|e| format!("mkdir {}: {e}", p.dir.display()))?;
        p.enable()?;
        Ok(p)
    }

    /// Sets the address (while no subsystem is linked) and links the subsystem.
    fn enable(&self) -> Result<(), String> {
        write(&self.dir.join("addr_trtype"), "tcp")?;
        write(&self.dir.join("addr_adrfam"), "ipv4")?;
        write(&self.dir.join("addr_traddr"), "127.0.0.1")?;
        write(&self.dir.join("addr_trsvcid"), &self.trsvcid.to_string())?;
        std::os::unix::fs::symlink(&self.sub, &self.link)
            .map_err(|e| format!("ln -s {} {}: {e}", self.sub.display(), self.link.display()))
    }

    /// Unlinks the subsystem (nvmet deletes the port's controllers) and
    /// removes the port (its listener goes).
    fn remove(&self) -> Result<(), String> {
        std::fs::remove_file(&self.link)
            .map_err(|e| format!("unlinking {}: {e}", self.link.display()))?;
        std::fs::remove_dir(&self.dir).map_err(|e| format!("rmdir {}: {e}", self.dir.display()))
    }

    /// Makes the port again, with the same id and address.
    fn readd(&self) -> Result<(), String> {
        std::fs::create_dir(&self.dir).map_err(|e| format!("mkdir {}: {e}", self.dir.display()))?;
        self.enable()
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.link);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// What became of one tag.
struct Seen {
    reaped: u32,
    ok: bool,
    buf_len: Option<usize>,
    at: Instant,
}

pub fn run(ctx: &mut Ctx<TcpHw>, sub: &Path) -> TestResult {
    let lba = ctx.lba as usize;
    let slba = ctx.area(11);
    let mut data = vec![0u8; 8 * lba];
    fill(&mut data, ctx.lba, slba, 0x9e7);
    ctx.write(slba, &data)?;

    // A target that finishes every read before it closes the connection
    // leaves nothing in flight to fail; that proves nothing, so the row
    // tries again (a new port), up to ATTEMPTS times.
    let nsid = ctx.nsid;
    let mut attempt = 0;
    let (port, mut b, o, qd, seen, first_err, ok_after_err, ok_before, removed_at) = loop {
        attempt += 1;
        let port = Port::create(sub)?;
        let mut o: TcpOptions = ctx.b.options().clone();
        o.port = port.trsvcid;
        o.timeout = TIMEOUT;
        o.hdgst = ctx.b.options().hdgst;
        o.ddgst = ctx.b.options().ddgst;
        let mut b = TcpBackend::connect(o.clone())
            .map_err(|e| format!("connecting to the row's port {}: {e}", port.trsvcid))?;
        let qd = QD.min(b.caps().queue_depth);
        if qd < 8 {
            return Err(format!(
                "the I/O queue takes {qd} commands: the row needs 8 in flight"
            ));
        }

        // The remover: after BEFORE, the port goes; it says when.
        let (dir, link) = (port.dir.clone(), port.link.clone());
        let mut remover = Some(std::thread::spawn(move || -> Result<Instant, String> {
            std::thread::sleep(BEFORE);
            let at = Instant::now();
            std::fs::remove_file(&link)
                .map_err(|e| format!("unlinking {}: {e}", link.display()))?;
            std::fs::remove_dir(&dir).map_err(|e| format!("rmdir {}: {e}", dir.display()))?;
            Ok(at)
        }));

        let span = ctx.nsze.saturating_sub(1).max(1);
        let mut seen: HashMap<u64, Seen> = HashMap::new();
        let mut next_tag = 0u64;
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut first_err: Option<(u64, Error, u32)> = None;
        let mut ok_after_err = 0u32;
        let mut refused = None;
        let mut ok_before = 0u32;
        let start = Instant::now();
        let wall = start + BEFORE + TIMEOUT * 2 + SLACK;
        loop {
            // Keep the queue full until the connection is seen to fail.
            while first_err.is_none() && refused.is_none() && b.in_flight() < qd {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let buf = b.alloc(lba).map_err(|e| format!("alloc: {e}"))?;
                let tag = next_tag;
                match b.push(&Read::new(nsid, rng % span, 0).build(), Some(buf), tag) {
                    Ok(()) => {
                        next_tag += 1;
                        seen.insert(
                            tag,
                            Seen {
                                reaped: 0,
                                ok: false,
                                buf_len: None,
                                at: Instant::now(),
                            },
                        );
                    }
                    Err(Rejected::Invalid { error, buf }) => {
                        if buf.map(|b| b.len()) != Some(lba) {
                            return Err(format!(
                                "a refused push did not hand its buffer back ({error})"
                            ));
                        }
                        refused = Some(error);
                    }
                    Err(Rejected::Full(_)) => break,
                }
            }
            if b.in_flight() == 0 {
                break;
            }
            if Instant::now() > wall {
                if let Some(Ok(Err(e))) = remover.take().map(|h| h.join()) {
                    return Err(format!("removing the port: {e}"));
                }
                return Err(format!(
                    "{} commands still in flight {:?} after the reads began: the loss of the port hangs them",
                    b.in_flight(),
                    start.elapsed()
                ));
            }
            let before = b.in_flight();
            let _ = b.submit(1);
            let now = Instant::now();
            let mut dup = None;
            b.reap(|r| {
                let e = seen.entry(r.tag).or_insert(Seen {
                    reaped: 0,
                    ok: false,
                    buf_len: None,
                    at: now,
                });
                e.reaped += 1;
                if e.reaped > 1 {
                    dup = Some(r.tag);
                }
                e.ok = r.result.is_ok();
                e.buf_len = r.buf.as_ref().map(|b| b.len());
                e.at = now;
                match r.result {
                    Ok(_) if first_err.is_some() => ok_after_err += 1,
                    Ok(_) => ok_before += 1,
                    Err(err) if first_err.is_none() => first_err = Some((r.tag, err, before)),
                    Err(_) => {}
                }
            });
            if let Some(t) = dup {
                return Err(format!("tag {t} was reaped twice"));
            }
        }
        let removed_at = remover
            .take()
            .ok_or("the remover thread is gone")?
            .join()
            .map_err(|_| "the remover thread panicked".to_string())??;

        if first_err.is_none() && attempt < ATTEMPTS {
            continue;
        }
        break (
            port,
            b,
            o,
            qd,
            seen,
            first_err,
            ok_after_err,
            ok_before,
            removed_at,
        );
    };
    let Some((_, why, in_flight_at_loss)) = first_err else {
        return Err(format!(
            "{} attempts: every time, the target completed all {} reads of the last before closing the connection: none was in flight to fail",
            attempt,
            seen.len()
        ));
    };
    if let Some((tag, s)) = seen.iter().find(|(_, s)| s.reaped != 1) {
        return Err(format!("tag {tag} was reaped {} times", s.reaped));
    }
    if let Some((tag, s)) = seen.iter().find(|(_, s)| s.buf_len != Some(lba)) {
        return Err(format!(
            "tag {tag} came back with buffer {:?}, not its {lba} bytes",
            s.buf_len
        ));
    }
    if ok_after_err > 0 {
        return Err(format!(
            "{ok_after_err} reads succeeded after the connection failed with `{why}`"
        ));
    }
    if in_flight_at_loss < 8 {
        return Err(format!(
            "only {in_flight_at_loss} reads were in flight when the connection failed: the row needs 8"
        ));
    }
    let last = seen.values().map(|s| s.at).max().unwrap_or(removed_at);
    let took = last.saturating_duration_since(removed_at);
    if took > TIMEOUT + SLACK {
        return Err(format!(
            "the last command ended {took:?} after the port was removed, past the {TIMEOUT:?} timeout"
        ));
    }
    let failed = seen.values().filter(|s| !s.ok).count();
    if b.connection_error().is_none() {
        return Err("the handle does not report its connection as lost".into());
    }
    let spare = b.alloc(lba).map_err(|e| format!("alloc: {e}"))?;
    match b.push(&Read::new(nsid, slba, 0).build(), Some(spare), u64::MAX) {
        Err(Rejected::Invalid { buf: Some(_), .. }) => {}
        Err(Rejected::Invalid { buf: None, .. }) => {
            return Err("a push on the lost connection kept its buffer".into())
        }
        _ => return Err("a push on the lost connection was accepted".into()),
    }

    // Reconnecting while the port is gone fails, promptly.
    let t0 = Instant::now();
    if b.reconnect().is_ok() {
        return Err("reconnect succeeded while the port was removed".into());
    }
    let refused_in = t0.elapsed();
    if refused_in > o.connect_timeout + SLACK {
        return Err(format!(
            "reconnect took {refused_in:?} to fail while the port was removed"
        ));
    }
    // The port back: reconnect works and the data is there.
    port.readd()?;
    let t0 = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        match b.reconnect() {
            Ok(()) => break,
            // The new listener may take a moment to start.
            Err(_) if t0.elapsed() < Duration::from_secs(5) => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(format!("reconnect after the port came back: {e}")),
        }
    }
    let mut back = vec![0u8; data.len()];
    b.execute(
        &Read::new(nsid, slba, 7).build(),
        nvmeq_core::Data::FromDevice(&mut back),
    )
    .map_err(|e| format!("read after reconnecting: {e}"))?;
    if back != data {
        return Err("the blocks read after reconnecting differ from what was written".into());
    }
    drop(b);
    port.remove()?;
    // The suite's connection, on the other port, did not notice.
    let mut back = vec![0u8; data.len()];
    ctx.read(slba, &mut back)
        .map_err(|e| format!("the suite's own connection after the row: {e}"))?;
    if back != data {
        return Err("the suite's connection reads other data after the row".into());
    }
    Ok(format!(
        "attempt {attempt}: port {} removed with {in_flight_at_loss} of QD {qd} reads in flight ({ok_before} done before): \
         {failed} ended with an error (first: {why}), the last {took:?} after the removal (timeout {TIMEOUT:?}); \
         every buffer back once; reconnect refused in {refused_in:?} while the port was gone, worked after \
         it came back ({tries} tries), 8 blocks read back unchanged",
        port.trsvcid
    ))
}
