//! The kernel's NVMe over Fabrics host, as `nvme connect` drives it:
//! `/dev/nvme-fabrics` takes one comma-separated option string per `write`
//! and answers the following `read` with the new controller's
//! `instance=N,cntlid=M`; writing `1` to `/sys/class/nvme/nvmeN/delete_controller`
//! disconnects a controller. No ioctls: plain file I/O.
//!
//! The option names and the order they are written in are the kernel's
//! (`drivers/nvme/host/fabrics.c`, `opt_tokens`) in the order libnvme builds
//! them, so the kernel log of a connect reads the same for both tools.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::sysfs::{read_attr, Sysfs};

/// The kernel's fabrics control device.
pub const FABRICS_DEV: &str = "/dev/nvme-fabrics";

/// The well-known discovery subsystem NQN (NVMe over Fabrics 1.1, 7.1).
pub const DISCOVERY_NQN: &str = "nqn.2014-08.org.nvmexpress.discovery";

/// What the kernel calls a transport (`transport=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// NVMe/TCP.
    Tcp,
    /// NVMe/RDMA.
    Rdma,
    /// NVMe/FC.
    Fc,
    /// The target's loopback transport (no address).
    Loop,
}

impl Transport {
    /// The kernel's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Rdma => "rdma",
            Transport::Fc => "fc",
            Transport::Loop => "loop",
        }
    }

    /// The port a controller of this transport listens on when none is
    /// given: 4420 for I/O controllers on TCP and RDMA, 8009 for TCP
    /// discovery controllers (IANA assignments); none for FC and loop.
    pub fn default_trsvcid(self, discovery: bool) -> Option<&'static str> {
        match (self, discovery) {
            (Transport::Tcp, true) => Some("8009"),
            (Transport::Tcp, false) | (Transport::Rdma, _) => Some("4420"),
            _ => None,
        }
    }
}

impl std::str::FromStr for Transport {
    type Err = FabricsError;

    fn from_str(s: &str) -> Result<Self, FabricsError> {
        Ok(match s {
            "tcp" => Transport::Tcp,
            "rdma" => Transport::Rdma,
            "fc" => Transport::Fc,
            "loop" => Transport::Loop,
            _ => {
                return Err(FabricsError::BadTransport(s.to_string()));
            }
        })
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a connect asks of the kernel. `None`/`false` leaves an option out,
/// so the kernel's default applies, except `ctrl_loss_tmo`, which nvme-cli
/// always sends (600 s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// The subsystem NQN (`nqn=`).
    pub nqn: String,
    /// The transport.
    pub transport: Transport,
    /// The target's address (required except on loop).
    pub traddr: Option<String>,
    /// The target's port or service id; the transport's default when `None`.
    pub trsvcid: Option<String>,
    /// The local address to connect from.
    pub host_traddr: Option<String>,
    /// The local interface to connect through (TCP).
    pub host_iface: Option<String>,
    /// This host's NQN; `None`: the kernel's default host.
    pub hostnqn: Option<String>,
    /// This host's ID (a UUID string).
    pub hostid: Option<String>,
    /// The DH-HMAC-CHAP host secret.
    pub dhchap_secret: Option<String>,
    /// The DH-HMAC-CHAP controller secret (bidirectional authentication).
    pub dhchap_ctrl_secret: Option<String>,
    /// I/O queues for reads and writes.
    pub nr_io_queues: Option<u32>,
    /// Extra queues for writes.
    pub nr_write_queues: Option<u32>,
    /// Extra polled queues.
    pub nr_poll_queues: Option<u32>,
    /// Entries per I/O queue.
    pub queue_size: Option<u32>,
    /// Keep Alive Timeout, seconds.
    pub keep_alive_tmo: Option<u32>,
    /// Seconds between reconnect attempts.
    pub reconnect_delay: Option<u32>,
    /// Seconds before a lost controller is given up (-1: never).
    pub ctrl_loss_tmo: i32,
    /// Seconds before I/O fails while reconnecting.
    pub fast_io_fail_tmo: Option<u32>,
    /// IP type of service.
    pub tos: Option<u32>,
    /// Connect even if a controller to the same target exists.
    pub duplicate_connect: bool,
    /// Ask the target to disable SQ flow control.
    pub disable_sqflow: bool,
    /// Header digests (TCP).
    pub hdr_digest: bool,
    /// Data digests (TCP).
    pub data_digest: bool,
    /// Connect to a discovery controller whose NQN is not the well-known one.
    pub discovery: bool,
}

/// nvme-cli's `ctrl_loss_tmo` default, seconds.
pub const DEFAULT_CTRL_LOSS_TMO: i32 = 600;

impl ConnectOptions {
    /// A connect to `nqn` over `transport` with nvme-cli's defaults.
    pub fn new(transport: Transport, nqn: impl Into<String>) -> Self {
        ConnectOptions {
            nqn: nqn.into(),
            transport,
            traddr: None,
            trsvcid: None,
            host_traddr: None,
            host_iface: None,
            hostnqn: None,
            hostid: None,
            dhchap_secret: None,
            dhchap_ctrl_secret: None,
            nr_io_queues: None,
            nr_write_queues: None,
            nr_poll_queues: None,
            queue_size: None,
            keep_alive_tmo: None,
            reconnect_delay: None,
            ctrl_loss_tmo: DEFAULT_CTRL_LOSS_TMO,
            fast_io_fail_tmo: None,
            tos: None,
            duplicate_connect: false,
            disable_sqflow: false,
            hdr_digest: false,
            data_digest: false,
            discovery: false,
        }
    }

    /// Whether this connects to a discovery controller.
    pub fn is_discovery(&self) -> bool {
        self.discovery || self.nqn == DISCOVERY_NQN
    }

    /// The port: the given one or the transport's default.
    pub fn resolved_trsvcid(&self) -> Option<&str> {
        self.trsvcid
            .as_deref()
            .or_else(|| self.transport.default_trsvcid(self.is_discovery()))
    }

    /// The string written to `/dev/nvme-fabrics`. A value the kernel's
    /// parser would split (a `,` or a newline in it) or an empty one is
    /// refused by name rather than sent, so no option can smuggle in another.
    pub fn to_kernel_string(&self) -> Result<String, FabricsError> {
        if self.transport != Transport::Loop && self.traddr.is_none() {
            return Err(FabricsError::MissingAddress(self.transport));
        }
        let mut s = String::new();
        let disc = self.is_discovery();
        str_opt(&mut s, "nqn", Some(&self.nqn))?;
        str_opt(&mut s, "transport", Some(self.transport.as_str()))?;
        str_opt(&mut s, "traddr", self.traddr.as_deref())?;
        str_opt(&mut s, "host_traddr", self.host_traddr.as_deref())?;
        str_opt(&mut s, "host_iface", self.host_iface.as_deref())?;
        str_opt(&mut s, "trsvcid", self.resolved_trsvcid())?;
        str_opt(&mut s, "hostnqn", self.hostnqn.as_deref())?;
        str_opt(&mut s, "hostid", self.hostid.as_deref())?;
        if self.discovery && self.nqn != DISCOVERY_NQN {
            s.push_str(",discovery");
        }
        if !disc {
            str_opt(&mut s, "dhchap_secret", self.dhchap_secret.as_deref())?;
            str_opt(
                &mut s,
                "dhchap_ctrl_secret",
                self.dhchap_ctrl_secret.as_deref(),
            )?;
        }
        let pos = |v: Option<u32>| v.filter(|&v| v > 0).map(i64::from);
        if !disc {
            int_opt(&mut s, "nr_io_queues", pos(self.nr_io_queues));
            int_opt(&mut s, "nr_write_queues", pos(self.nr_write_queues));
            int_opt(&mut s, "nr_poll_queues", pos(self.nr_poll_queues));
            int_opt(&mut s, "queue_size", pos(self.queue_size));
        }
        int_opt(&mut s, "keep_alive_tmo", pos(self.keep_alive_tmo));
        int_opt(&mut s, "reconnect_delay", pos(self.reconnect_delay));
        if self.transport != Transport::Loop {
            let loss = (self.ctrl_loss_tmo >= -1).then_some(i64::from(self.ctrl_loss_tmo));
            int_opt(&mut s, "ctrl_loss_tmo", loss);
            int_opt(&mut s, "fast_io_fail_tmo", pos(self.fast_io_fail_tmo));
            int_opt(&mut s, "tos", self.tos.map(i64::from));
        }
        let tcp = self.transport == Transport::Tcp;
        for (key, on) in [
            ("duplicate_connect", self.duplicate_connect),
            ("disable_sqflow", self.disable_sqflow),
            ("hdr_digest", tcp && self.hdr_digest),
            ("data_digest", tcp && self.data_digest),
        ] {
            if on {
                s.push(',');
                s.push_str(key);
            }
        }
        Ok(s)
    }
}

/// Appends `key=value` (comma-separated), refusing a value the kernel would split.
fn str_opt(s: &mut String, key: &'static str, v: Option<&str>) -> Result<(), FabricsError> {
    let Some(v) = v else { return Ok(()) };
    if v.is_empty() || v.contains([',', '\n', '\0']) {
        return Err(FabricsError::BadValue {
            option: key,
            value: v.to_string(),
        });
    }
    if !s.is_empty() {
        s.push(',');
    }
    let _ = write!(s, "{key}={v}");
    Ok(())
}

/// Appends `,key=value` when there is a value.
fn int_opt(s: &mut String, key: &str, v: Option<i64>) {
    if let Some(v) = v {
        let _ = write!(s, ",{key}={v}");
    }
}

/// The controller a connect made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connected {
    /// The controller's instance: it is `/dev/nvme<instance>`.
    pub instance: u32,
    /// Its controller ID, when the kernel says (it does since Linux 5.x).
    pub cntlid: Option<u16>,
}

impl Connected {
    /// `nvme<instance>`.
    pub fn name(&self) -> String {
        format!("nvme{}", self.instance)
    }

    /// Parses the kernel's answer (`instance=1,cntlid=2\n`).
    pub fn parse(answer: &str) -> Result<Connected, FabricsError> {
        let mut instance = None;
        let mut cntlid = None;
        for field in answer.split([',', '\n']).filter(|f| !f.is_empty()) {
            if let Some(v) = field.strip_prefix("instance=") {
                instance = v.parse().ok();
            } else if let Some(v) = field.strip_prefix("cntlid=") {
                cntlid = v.parse().ok();
            }
        }
        match instance {
            Some(instance) => Ok(Connected { instance, cntlid }),
            None => Err(FabricsError::Answer(answer.trim_end().to_string())),
        }
    }
}

/// Why a fabrics operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FabricsError {
    /// Not a transport the kernel knows.
    #[error("transport `{0}`: not one of tcp, rdma, fc, loop")]
    BadTransport(String),
    /// A transport other than loop needs `--traddr`.
    #[error("transport {0} needs the target's address (--traddr/-a)")]
    MissingAddress(Transport),
    /// A value the kernel's option parser would misread.
    #[error("{option}=`{value}`: empty, or holds `,` or a newline, which the kernel's option string cannot carry")]
    BadValue {
        /// The option.
        option: &'static str,
        /// Its value.
        value: String,
    },
    /// `/dev/nvme-fabrics` could not be opened.
    #[error("{FABRICS_DEV}: {0} (is the nvme-fabrics module loaded, and are you root?)")]
    Open(std::io::Error),
    /// The kernel refused the connect.
    #[error("could not add new controller: {}", connect_errno(.0))]
    Refused(std::io::Error),
    /// The kernel's answer had no instance.
    #[error("the kernel's answer `{0}` names no controller instance")]
    Answer(String),
    /// Reading the kernel's answer failed.
    #[error("reading {FABRICS_DEV}: {0}")]
    Read(std::io::Error),
    /// Writing `delete_controller` failed.
    #[error("{}: failed to disconnect: {source}", .path.display())]
    Disconnect {
        /// The attribute written.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// No controller of that name.
    #[error("Did not find device {0}")]
    NoSuchController(String),
}

/// The kernel's reasons for refusing a connect, as its errno says them
/// (`nvmf_create_ctrl` and the transports' `create_ctrl`).
fn connect_errno(e: &std::io::Error) -> String {
    let why = match e.raw_os_error() {
        Some(libc::EALREADY) => "already connected",
        Some(libc::EINVAL) => "invalid arguments/configuration (the kernel log says which)",
        Some(libc::EADDRINUSE) => "hostnqn already in use",
        Some(libc::ENODEV) => "invalid interface",
        Some(libc::EOPNOTSUPP) => "not supported by this kernel",
        Some(libc::ECONNREFUSED) => "connection refused",
        Some(libc::EADDRNOTAVAIL) => "cannot assign requested address",
        Some(libc::ENOKEY) => "no key for authentication",
        Some(libc::EIO) => "the target refused the Connect command (the kernel log has its status)",
        _ => return e.to_string(),
    };
    format!("{why} ({e})")
}

/// Whether `e` is the kernel saying the controller exists already.
pub fn is_already_connected(e: &FabricsError) -> bool {
    matches!(e, FabricsError::Refused(io) if io.raw_os_error() == Some(libc::EALREADY))
}

/// Connects through `dev`, an open `/dev/nvme-fabrics` (or a stand-in in
/// tests): writes the option string in one `write` and parses the answer.
pub fn connect_on<D: Read + Write>(
    dev: &mut D,
    opts: &ConnectOptions,
) -> Result<Connected, FabricsError> {
    let s = opts.to_kernel_string()?;
    // One write: the kernel parses what one write hands it.
    let n = dev.write(s.as_bytes()).map_err(FabricsError::Refused)?;
    if n != s.len() {
        return Err(FabricsError::Refused(std::io::Error::new(
            std::io::ErrorKind::WriteZero,
            format!("the kernel took {n} of {} bytes", s.len()),
        )));
    }
    let mut buf = [0u8; 4096];
    let n = dev.read(&mut buf).map_err(FabricsError::Read)?;
    Connected::parse(&String::from_utf8_lossy(&buf[..n]))
}

/// Connects through the kernel's `/dev/nvme-fabrics`.
pub fn connect(opts: &ConnectOptions) -> Result<Connected, FabricsError> {
    // Checked before opening, so a bad option is named even without the module.
    opts.to_kernel_string()?;
    let mut dev = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(FABRICS_DEV)
        .map_err(FabricsError::Open)?;
    connect_on(&mut dev, opts)
}

/// A fabrics controller as sysfs shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FabricsController {
    /// `nvmeN`.
    pub name: String,
    /// `transport` (`tcp`, `rdma`, `fc`, `loop`; `pcie` controllers are not listed).
    pub transport: String,
    /// `subsysnqn`.
    pub subsysnqn: String,
    /// `address`'s `traddr=`.
    pub traddr: Option<String>,
    /// `address`'s `trsvcid=`.
    pub trsvcid: Option<String>,
    /// `hostnqn`.
    pub hostnqn: Option<String>,
}

impl FabricsController {
    /// Whether this is a controller of the target `opts` names (same
    /// transport, NQN, address and port), as `nvme connect` decides
    /// "already connected".
    pub fn matches(&self, opts: &ConnectOptions) -> bool {
        self.transport == opts.transport.as_str()
            && self.subsysnqn == opts.nqn
            && self.traddr.as_deref() == opts.traddr.as_deref()
            && self.trsvcid.as_deref() == opts.resolved_trsvcid()
    }
}

/// `key=value` from a sysfs `address` attribute (`traddr=…,trsvcid=…,src_addr=…`).
fn address_field(address: &str, key: &str) -> Option<String> {
    address
        .split(',')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .map(str::to_string)
}

/// Fabrics controllers (every transport but PCIe), by instance.
pub fn fabrics_controllers(sys: &Sysfs) -> Vec<FabricsController> {
    sys.controllers()
        .into_iter()
        .filter_map(|name| {
            let transport = sys.controller_attr(&name, "transport")?;
            if transport == "pcie" {
                return None;
            }
            let address = sys.controller_attr(&name, "address").unwrap_or_default();
            Some(FabricsController {
                subsysnqn: sys.controller_attr(&name, "subsysnqn").unwrap_or_default(),
                traddr: address_field(&address, "traddr"),
                trsvcid: address_field(&address, "trsvcid"),
                hostnqn: sys.controller_attr(&name, "hostnqn"),
                transport,
                name,
            })
        })
        .collect()
}

/// Disconnects controller `name` (`nvme1` or `/dev/nvme1`) by writing its
/// `delete_controller` attribute.
pub fn disconnect(sys: &Sysfs, name: &str) -> Result<(), FabricsError> {
    let name = name.strip_prefix("/dev/").unwrap_or(name);
    let dir = sys.path(Path::new("class/nvme").join(name));
    let attr = dir.join("delete_controller");
    if read_attr(&dir.join("transport")).is_none() {
        return Err(FabricsError::NoSuchController(name.to_string()));
    }
    std::fs::write(&attr, b"1").map_err(|source| FabricsError::Disconnect { path: attr, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp() -> ConnectOptions {
        let mut o = ConnectOptions::new(Transport::Tcp, "nqn.2024-01.io.nvmeq:tcp");
        o.traddr = Some("127.0.0.1".into());
        o
    }

    #[test]
    fn option_string_in_libnvme_order_with_defaults() {
        assert_eq!(
            tcp().to_kernel_string().unwrap(),
            "nqn=nqn.2024-01.io.nvmeq:tcp,transport=tcp,traddr=127.0.0.1,trsvcid=4420,ctrl_loss_tmo=600"
        );
        let mut o = tcp();
        o.trsvcid = Some("4421".into());
        o.hostnqn = Some("nqn.2014-08.org.nvmexpress:uuid:1".into());
        o.hostid = Some("0f0e0d0c-0b0a-0908-0706-050403020100".into());
        o.nr_io_queues = Some(2);
        o.queue_size = Some(64);
        o.keep_alive_tmo = Some(5);
        o.tos = Some(0);
        o.duplicate_connect = true;
        o.hdr_digest = true;
        o.data_digest = true;
        assert_eq!(
            o.to_kernel_string().unwrap(),
            "nqn=nqn.2024-01.io.nvmeq:tcp,transport=tcp,traddr=127.0.0.1,trsvcid=4421,\
             hostnqn=nqn.2014-08.org.nvmexpress:uuid:1,hostid=0f0e0d0c-0b0a-0908-0706-050403020100,\
             nr_io_queues=2,queue_size=64,keep_alive_tmo=5,ctrl_loss_tmo=600,tos=0,\
             duplicate_connect,hdr_digest,data_digest"
        );
    }

    #[test]
    fn discovery_and_transport_rules() {
        let mut o = tcp();
        o.nqn = DISCOVERY_NQN.into();
        o.nr_io_queues = Some(4);
        o.dhchap_secret = Some("DHHC-1:00:x:".into());
        // The discovery port, and no I/O queue or authentication options.
        assert_eq!(
            o.to_kernel_string().unwrap(),
            format!(
                "nqn={DISCOVERY_NQN},transport=tcp,traddr=127.0.0.1,trsvcid=8009,ctrl_loss_tmo=600"
            )
        );
        let mut l = ConnectOptions::new(Transport::Loop, "nqn.x");
        l.hdr_digest = true;
        l.tos = Some(3);
        assert_eq!(l.to_kernel_string().unwrap(), "nqn=nqn.x,transport=loop");
        let r = ConnectOptions::new(Transport::Rdma, "nqn.x");
        assert!(matches!(
            r.to_kernel_string(),
            Err(FabricsError::MissingAddress(Transport::Rdma))
        ));
        assert!(matches!(
            "pcie".parse::<Transport>(),
            Err(FabricsError::BadTransport(_))
        ));
    }

    #[test]
    fn values_that_would_inject_options_are_refused() {
        for (bad, option) in [
            ("127.0.0.1,nr_io_queues=999", "traddr"),
            ("", "traddr"),
            ("x\n", "traddr"),
        ] {
            let mut o = tcp();
            o.traddr = Some(bad.into());
            match o.to_kernel_string() {
                Err(FabricsError::BadValue { option: got, .. }) => assert_eq!(got, option),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        let mut o = tcp();
        o.hostnqn = Some("nqn.a,duplicate_connect".into());
        assert!(matches!(
            o.to_kernel_string(),
            Err(FabricsError::BadValue {
                option: "hostnqn",
                ..
            })
        ));
    }

    /// The kernel's side of `/dev/nvme-fabrics`: takes one write, answers the read.
    struct FakeDev {
        written: Vec<u8>,
        answer: Result<&'static str, i32>,
    }

    impl Write for FakeDev {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if let Err(errno) = self.answer {
                return Err(std::io::Error::from_raw_os_error(errno));
            }
            self.written.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Read for FakeDev {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            let a = self.answer.unwrap().as_bytes();
            b[..a.len()].copy_from_slice(a);
            Ok(a.len())
        }
    }

    #[test]
    fn connect_writes_once_and_parses_the_answer() {
        let mut d = FakeDev {
            written: Vec::new(),
            answer: Ok("instance=3,cntlid=1\n"),
        };
        let c = connect_on(&mut d, &tcp()).unwrap();
        assert_eq!(
            c,
            Connected {
                instance: 3,
                cntlid: Some(1)
            }
        );
        assert_eq!(c.name(), "nvme3");
        assert_eq!(d.written, tcp().to_kernel_string().unwrap().as_bytes());

        let mut d = FakeDev {
            written: Vec::new(),
            answer: Ok("cntlid=1\n"),
        };
        assert!(matches!(
            connect_on(&mut d, &tcp()),
            Err(FabricsError::Answer(_))
        ));

        let mut d = FakeDev {
            written: Vec::new(),
            answer: Err(libc::EALREADY),
        };
        let e = connect_on(&mut d, &tcp()).unwrap_err();
        assert!(is_already_connected(&e));
        assert!(e.to_string().contains("already connected"), "{e}");
        let mut d = FakeDev {
            written: Vec::new(),
            answer: Err(libc::ECONNREFUSED),
        };
        let e = connect_on(&mut d, &tcp()).unwrap_err();
        assert!(!is_already_connected(&e));
        assert!(e.to_string().contains("connection refused"), "{e}");
    }

    fn fixture(root: &Path, name: &str, attrs: &[(&str, &str)]) {
        let d = root.join("sys/class/nvme").join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (k, v) in attrs {
            std::fs::write(d.join(k), format!("{v}\n")).unwrap();
        }
    }

    #[test]
    fn lists_and_disconnects_fabrics_controllers_from_sysfs() {
        let root = std::env::temp_dir().join(format!("nvmeq-fabrics-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        fixture(
            &root,
            "nvme0",
            &[("transport", "pcie"), ("subsysnqn", "nqn.pci")],
        );
        fixture(
            &root,
            "nvme1",
            &[
                ("transport", "tcp"),
                ("subsysnqn", "nqn.2024-01.io.nvmeq:tcp"),
                (
                    "address",
                    "traddr=127.0.0.1,trsvcid=4420,src_addr=127.0.0.1",
                ),
                ("hostnqn", "nqn.h"),
                ("delete_controller", ""),
            ],
        );
        let sys = Sysfs::at(&root);
        let list = fabrics_controllers(&sys);
        assert_eq!(list.len(), 1, "{list:?}");
        let c = &list[0];
        assert_eq!(c.name, "nvme1");
        assert_eq!(c.traddr.as_deref(), Some("127.0.0.1"));
        assert_eq!(c.trsvcid.as_deref(), Some("4420"));
        assert!(c.matches(&tcp()));
        let mut other = tcp();
        other.trsvcid = Some("4421".into());
        assert!(!c.matches(&other));

        disconnect(&sys, "/dev/nvme1").unwrap();
        let written =
            std::fs::read_to_string(root.join("sys/class/nvme/nvme1/delete_controller")).unwrap();
        assert_eq!(written, "1");
        assert!(matches!(
            disconnect(&sys, "nvme7"),
            Err(FabricsError::NoSuchController(n)) if n == "nvme7"
        ));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
