//! [`TcpOptions`]: where the target is and how to talk to it.

use std::time::Duration;

/// How to reach an NVMe/TCP subsystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpOptions {
    /// Host name or address of the target.
    pub host: String,
    /// TCP port (4420 for I/O controllers, 8009 for discovery).
    pub port: u16,
    /// The subsystem's NQN.
    pub subnqn: String,
    /// This host's NQN; `None`: `/etc/nvme/hostnqn`, or one made from the host ID.
    pub hostnqn: Option<String>,
    /// This host's ID (a UUID); `None`: `/etc/nvme/hostid`, or `/etc/machine-id`.
    pub hostid: Option<[u8; 16]>,
    /// I/O queues (TCP connections) to create; each is one queue handle.
    pub nr_io_queues: u16,
    /// Entries per I/O queue (SQSIZE + 1), bounded by CAP.MQES.
    pub queue_size: u16,
    /// Ask for header digests.
    pub hdgst: bool,
    /// Ask for data digests.
    pub ddgst: bool,
    /// Keep Alive Timeout sent in Connect (0: none); a keep-alive thread
    /// sends Keep Alive every half of it.
    pub kato: Duration,
    /// How long a command may take before the connection is declared lost.
    pub timeout: Duration,
    /// How long the TCP connect may take.
    pub connect_timeout: Duration,
}

impl TcpOptions {
    /// Options for `subnqn` at `host:port`, with nvme-cli's defaults: one I/O
    /// queue of 128 entries, no digests, KATO 5 s, 30 s command timeout.
    pub fn new(host: impl Into<String>, port: u16, subnqn: impl Into<String>) -> Self {
        TcpOptions {
            host: host.into(),
            port,
            subnqn: subnqn.into(),
            hostnqn: None,
            hostid: None,
            nr_io_queues: 1,
            queue_size: 128,
            hdgst: false,
            ddgst: false,
            kato: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// The host ID: the given one, `/etc/nvme/hostid`, `/etc/machine-id`, or zeros.
    pub fn resolved_hostid(&self) -> [u8; 16] {
        if let Some(id) = self.hostid {
            return id;
        }
        let read = |p: &str| std::fs::read_to_string(p).ok();
        read("/etc/nvme/hostid")
            .and_then(|s| parse_uuid(s.trim()))
            .or_else(|| read("/etc/machine-id").and_then(|s| parse_uuid(s.trim())))
            .unwrap_or([0; 16])
    }

    /// The host NQN: the given one, `/etc/nvme/hostnqn`, or the UUID form of the host ID.
    pub fn resolved_hostnqn(&self) -> String {
        if let Some(n) = &self.hostnqn {
            return n.clone();
        }
        if let Ok(s) = std::fs::read_to_string("/etc/nvme/hostnqn") {
            let s = s.trim();
            if !s.is_empty() {
                return s.to_string();
            }
        }
        format!(
            "nqn.2014-08.org.nvmexpress:uuid:{}",
            format_uuid(&self.resolved_hostid())
        )
    }
}

/// A UUID (with or without dashes) or 32 hex digits.
pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = s.bytes().filter(|&b| b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        let pair = std::str::from_utf8(&hex[2 * i..2 * i + 2]).ok()?;
        *o = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// The 8-4-4-4-12 form.
pub fn format_uuid(u: &[u8; 16]) -> String {
    let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        let u = parse_uuid("0123456789abcdef0123456789ABCDEF").unwrap();
        assert_eq!(u[0], 0x01);
        assert_eq!(u[15], 0xef);
        assert_eq!(format_uuid(&u), "01234567-89ab-cdef-0123-456789abcdef");
        assert_eq!(parse_uuid(&format_uuid(&u)), Some(u));
        assert_eq!(parse_uuid("xyz"), None);
        let mut o = TcpOptions::new("h", 1, "s");
        o.hostid = Some(u);
        assert!(o.resolved_hostnqn().contains(':'));
    }
}
