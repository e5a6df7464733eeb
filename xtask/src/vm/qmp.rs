//! A small client for QEMU's machine protocol (QMP) on the unix socket `vm` starts QEMU with,
//! and the console requests through which the guest asks the host to use it.
//!
//! QMP speaks one JSON object a line: a greeting, then for each `{"execute": …}` either
//! `{"return": …}` or `{"error": …}`, with `{"event": …}` lines in between whenever QEMU has
//! news (`DEVICE_DELETED` once a hot-unplug finished). Lines are classified by their first
//! key, so no JSON parser is needed.
//!
//! The guest asks with a console line `NVMEQ-QMP=<tag> <command> [<JSON arguments>]`; the host
//! runs it (commands in [`ALLOWED`] only) and writes QEMU's reply line to `/nvmeq/qmp-<tag>`
//! in the guest (the control share), and every event line to `/nvmeq/qmp-events`.

use std::fs;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The console line of a guest's request.
pub const REQUEST: &str = "NVMEQ-QMP=";
/// What a guest may ask for: hot-plugging and unplugging devices, and looking at them.
pub const ALLOWED: &[&str] = &["device_add", "device_del", "query-pci", "query-status"];
/// How long a command may take to answer.
const REPLY_LIMIT: Duration = Duration::from_secs(10);

/// A guest's request: `tag`, `command`, `arguments` (a JSON object, or empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub tag: String,
    pub command: String,
    pub arguments: String,
}

/// The request a console line carries, if any: `Err` for a malformed one (it is answered
/// with that error when its tag is usable).
pub fn parse_request(line: &str) -> Option<Result<Request, (String, String)>> {
    let rest = line[line.find(REQUEST)? + REQUEST.len()..].trim();
    let (tag, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let (command, arguments) = rest.trim().split_once(' ').unwrap_or((rest.trim(), ""));
    let arguments = arguments.trim();
    let tag_ok = !tag.is_empty()
        && tag.len() <= 64
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !tag_ok {
        return Some(Err((String::new(), format!("bad tag {tag:?}"))));
    }
    let bad = |why: String| Some(Err((tag.to_string(), why)));
    if !ALLOWED.contains(&command) {
        return bad(format!(
            "command {command:?} is not one a guest may send (allowed: {})",
            ALLOWED.join(", ")
        ));
    }
    let object = arguments.starts_with('{') && arguments.ends_with('}');
    if !arguments.is_empty() && !object {
        return bad(format!("arguments {arguments:?} are not a JSON object"));
    }
    Some(Ok(Request {
        tag: tag.to_string(),
        command: command.to_string(),
        arguments: arguments.to_string(),
    }))
}

/// What a QMP line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Greeting,
    Return,
    Error,
    Event,
    Other,
}

fn kind(line: &str) -> Kind {
    let l = line.trim_start();
    let first = l
        .strip_prefix('{')
        .map(str::trim_start)
        .and_then(|l| l.strip_prefix('"'))
        .and_then(|l| l.split('"').next())
        .unwrap_or("");
    match first {
        "QMP" => Kind::Greeting,
        "return" => Kind::Return,
        "error" => Kind::Error,
        // QEMU puts the timestamp first.
        "event" | "timestamp" if l.contains("\"event\"") => Kind::Event,
        _ => Kind::Other,
    }
}

/// The `"event": "NAME"` of an event line.
pub fn event_name(line: &str) -> Option<&str> {
    let at = line.find("\"event\"")? + "\"event\"".len();
    let rest = line[at..].trim_start().strip_prefix(':')?.trim_start();
    rest.strip_prefix('"')?.split('"').next()
}

/// A connection to QEMU's QMP socket, past capability negotiation.
pub struct Qmp {
    reader: BufReader<UnixStream>,
    stream: UnixStream,
    /// Event lines read and not yet taken.
    events: Vec<String>,
    /// The start of a line a read timed out in.
    partial: String,
}

impl Qmp {
    /// Connects to `path` (retrying until `within`: QEMU creates it as it starts) and
    /// negotiates capabilities.
    pub fn connect(path: &Path, within: Duration) -> Result<Self, String> {
        let until = Instant::now() + within;
        let stream = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) if Instant::now() >= until => {
                    return Err(format!("QMP socket {}: {e}", path.display()))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        stream
            .set_read_timeout(Some(REPLY_LIMIT))
            .map_err(|e| format!("QMP: {e}"))?;
        let reader = BufReader::new(stream.try_clone().map_err(|e| format!("QMP: {e}"))?);
        let mut q = Self {
            reader,
            stream,
            events: Vec::new(),
            partial: String::new(),
        };
        let greeting = q.line()?;
        if kind(&greeting) != Kind::Greeting {
            return Err(format!("QMP: expected the greeting, got {greeting}"));
        }
        let r = q.execute("qmp_capabilities", "")?;
        if kind(&r) != Kind::Return {
            return Err(format!("QMP capabilities negotiation: {r}"));
        }
        Ok(q)
    }

    fn line(&mut self) -> Result<String, String> {
        let mut s = std::mem::take(&mut self.partial);
        match self.reader.read_line(&mut s) {
            Ok(0) => Err("QMP: QEMU closed the socket".into()),
            Ok(_) => Ok(s.trim_end().to_string()),
            Err(e) => Err(format!("QMP: {e}")),
        }
    }

    /// Runs `command` with `arguments` (a JSON object, or empty) and returns QEMU's
    /// `{"return": …}` or `{"error": …}` line; events read meanwhile are kept.
    pub fn execute(&mut self, command: &str, arguments: &str) -> Result<String, String> {
        let msg = if arguments.is_empty() {
            format!("{{\"execute\": \"{command}\"}}\n")
        } else {
            format!("{{\"execute\": \"{command}\", \"arguments\": {arguments}}}\n")
        };
        self.stream
            .write_all(msg.as_bytes())
            .map_err(|e| format!("QMP: {e}"))?;
        let until = Instant::now() + REPLY_LIMIT;
        loop {
            let l = self.line()?;
            match kind(&l) {
                Kind::Return | Kind::Error => return Ok(l),
                Kind::Event => self.events.push(l),
                _ if Instant::now() >= until => {
                    return Err(format!("QMP: no reply to {command} in time"))
                }
                _ => {}
            }
        }
    }

    /// Event lines that arrived since the last call (waits at most `wait` for the first).
    pub fn events(&mut self, wait: Duration) -> Vec<String> {
        if self.events.is_empty() {
            let _ = self.stream.set_nonblocking(false);
            let _ = self
                .stream
                .set_read_timeout(Some(wait.max(Duration::from_millis(1))));
            loop {
                match self.reader.read_line(&mut self.partial) {
                    Ok(n) if n > 0 && self.partial.ends_with('\n') => {
                        let l = std::mem::take(&mut self.partial);
                        if kind(&l) == Kind::Event {
                            self.events.push(l.trim_end().to_string());
                        }
                        // More may be buffered: take them without waiting.
                        if self.reader.buffer().is_empty() {
                            break;
                        }
                    }
                    Ok(n) if n > 0 => {}
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                        break
                    }
                    _ => break,
                }
            }
            let _ = self.stream.set_read_timeout(Some(REPLY_LIMIT));
        }
        std::mem::take(&mut self.events)
    }
}

/// The host's side of the guest's requests during one boot: connects on the first request,
/// answers into the control share.
pub struct Host {
    socket: PathBuf,
    ctl: PathBuf,
    qmp: Option<Qmp>,
}

impl Host {
    pub fn new(socket: PathBuf, ctl: PathBuf) -> Self {
        Self {
            socket,
            ctl,
            qmp: None,
        }
    }

    /// Runs a guest's request and writes the reply for it; returns a line for the log.
    pub fn answer(&mut self, req: Result<Request, (String, String)>) -> String {
        let (tag, reply) = match req {
            Err((tag, why)) => (tag, format!("{{\"error\": {{\"desc\": {why:?}}}}}")),
            Ok(r) => {
                let reply = self.run(&r.command, &r.arguments).unwrap_or_else(|e| {
                    self.qmp = None;
                    format!("{{\"error\": {{\"desc\": {e:?}}}}}")
                });
                (r.tag, reply)
            }
        };
        if !tag.is_empty() {
            // Written whole, then renamed: the guest never reads half a reply.
            let tmp = self.ctl.join(format!(".qmp-{tag}"));
            let to = self.ctl.join(format!("qmp-{tag}"));
            let _ = fs::write(&tmp, format!("{reply}\n")).and_then(|_| fs::rename(&tmp, &to));
        }
        format!("QMP request {tag:?}: {reply}")
    }

    fn run(&mut self, command: &str, arguments: &str) -> Result<String, String> {
        if self.qmp.is_none() {
            self.qmp = Some(Qmp::connect(&self.socket, Duration::from_secs(5))?);
        }
        let q = self.qmp.as_mut().expect("just connected");
        let r = q.execute(command, arguments)?;
        self.write_events(Duration::ZERO);
        Ok(r)
    }

    /// Appends the events QEMU sent to `/nvmeq/qmp-events` (once connected); returns their
    /// names.
    pub fn write_events(&mut self, wait: Duration) -> Vec<String> {
        let Some(q) = self.qmp.as_mut() else {
            return Vec::new();
        };
        let evs = q.events(wait);
        if evs.is_empty() {
            return Vec::new();
        }
        let path = self.ctl.join("qmp-events");
        if let Ok(mut f) = fs::OpenOptions::new().create(true).append(true).open(path) {
            for e in &evs {
                let _ = writeln!(f, "{e}");
            }
        }
        evs.iter()
            .filter_map(|e| event_name(e).map(str::to_string))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        let r = parse_request("[ 3.1] NVMEQ-QMP=del1 device_del {\"id\": \"nvmeR\"}")
            .unwrap()
            .unwrap();
        assert_eq!(r.tag, "del1");
        assert_eq!(r.command, "device_del");
        assert_eq!(r.arguments, "{\"id\": \"nvmeR\"}");
        let r = parse_request("NVMEQ-QMP=s query-status").unwrap().unwrap();
        assert_eq!(
            (r.command.as_str(), r.arguments.as_str()),
            ("query-status", "")
        );
        assert_eq!(parse_request("plain line"), None);
        let e = parse_request("NVMEQ-QMP=t quit").unwrap().unwrap_err();
        assert_eq!(e.0, "t");
        assert!(e.1.contains("\"quit\" is not one a guest may send"));
        let e = parse_request("NVMEQ-QMP=../x device_del {}")
            .unwrap()
            .unwrap_err();
        assert_eq!(e.0, "");
        let e = parse_request("NVMEQ-QMP=t device_del nvmeR")
            .unwrap()
            .unwrap_err();
        assert!(e.1.contains("not a JSON object"));
    }

    #[test]
    fn line_kinds() {
        assert_eq!(
            kind(r#"{"QMP": {"version": {"qemu": {"major": 10}}, "capabilities": []}}"#),
            Kind::Greeting
        );
        assert_eq!(kind(r#"{"return": {}}"#), Kind::Return);
        assert_eq!(
            kind(r#"{"error": {"class": "GenericError", "desc": "Device 'x' not found"}}"#),
            Kind::Error
        );
        let ev = r#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "DEVICE_DELETED", "data": {"device": "nvmeR", "path": "/machine/peripheral/nvmeR"}}"#;
        assert_eq!(kind(ev), Kind::Event);
        assert_eq!(event_name(ev), Some("DEVICE_DELETED"));
        assert_eq!(kind("{\"timestamp\": {}}"), Kind::Other);
        assert_eq!(event_name(r#"{"return": {}}"#), None);
    }
}
