//! What `bench vm` runs in the guest: matched nvmeq and fio runs, and the
//! shell script that runs them one after the other in one boot.

use std::fmt::Write;

/// Which tool and engine a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `nvmeq bench uring:$NVMEQ_NS_A`.
    NvmeqUring,
    /// `nvmeq bench ioctl:$NVMEQ_NS_A`.
    NvmeqIoctl,
    /// `nvmeq bench vfio:$NVMEQ_PCI_A`, controller A bound to vfio-pci.
    NvmeqVfio,
    /// fio `--ioengine=io_uring_cmd --cmd_type=nvme` on `$NVMEQ_NS_A`.
    FioCmd,
    /// The same with `--iodepth_batch_submit=QD`: fio then submits whatever
    /// it has queued once the queue is full (nvmeq's engine did, before it
    /// took t/io_uring's loop).
    FioCmdTopUp,
    /// fio `--ioengine=io_uring --direct=1` on `$NVMEQ_BLK_A`.
    FioBlk,
    /// `nvmeq bench tcp://…` (nvmeq-tcp) on nsid 2 of the guest's NVMe/TCP target.
    NvmeqTcp,
    /// fio `--ioengine=io_uring_cmd` on the kernel host's char device of the
    /// same namespace (`nvme connect`), `$TCP_NG`.
    HostFioCmd,
    /// `nvmeq bench uring:$TCP_NG`: nvmeq through the kernel host.
    HostUring,
    /// The queue-handle and async-engine rows ([`super::queues`]): nvmeq on
    /// uring or VFIO with another engine, more jobs, or VFIO interrupts.
    Queues(QueueRow),
}

/// What a [`Tool::Queues`] run changes against the plain nvmeq run of its
/// backend and QD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueRow {
    /// VFIO (`vfio:$PCI_A`, run with the VFIO rows) or uring.
    pub vfio: bool,
    /// `--engine async`.
    pub asynchronous: bool,
    /// `--jobs`.
    pub jobs: u32,
    /// VFIO `--backend-opts irq`.
    pub irq: bool,
}

impl QueueRow {
    /// The device string and `nvmeq bench` options it adds.
    fn args(self) -> (&'static str, String) {
        let mut a = String::new();
        if self.asynchronous {
            a.push_str(" --engine async");
        }
        if self.jobs > 1 {
            let _ = write!(a, " --jobs {}", self.jobs);
        }
        if self.irq {
            a.push_str(" --backend-opts irq");
        }
        let dev = if self.vfio {
            "vfio:$PCI_A"
        } else {
            "uring:$NVMEQ_NS_A"
        };
        (dev, a)
    }

    fn tag(self) -> String {
        let mut v = vec![if self.vfio {
            "nvmeq-vfio"
        } else {
            "nvmeq-uring"
        }
        .to_string()];
        if self.asynchronous {
            v.push("async".into());
        }
        if self.jobs > 1 {
            v.push(format!("jobs{}", self.jobs));
        }
        if self.irq {
            v.push("irq".into());
        }
        v.join("-")
    }
}

impl Tool {
    pub fn is_fio(self) -> bool {
        matches!(
            self,
            Tool::FioCmd | Tool::FioCmdTopUp | Tool::FioBlk | Tool::HostFioCmd
        )
    }

    /// A run of the NVMe/TCP table: on the guest's nvmet-tcp target.
    pub fn is_tcp(self) -> bool {
        matches!(self, Tool::NvmeqTcp | Tool::HostFioCmd | Tool::HostUring)
    }

    /// A run on controller A bound to vfio-pci (the script's last phase).
    pub fn is_vfio(self) -> bool {
        match self {
            Tool::NvmeqVfio => true,
            Tool::Queues(q) => q.vfio,
            _ => false,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tool::Queues(q) if q.vfio => "nvmeq vfio",
            Tool::Queues(_) => "nvmeq uring",
            Tool::NvmeqUring => "nvmeq uring",
            Tool::NvmeqIoctl => "nvmeq ioctl",
            Tool::NvmeqVfio => "nvmeq vfio",
            Tool::FioCmd => "fio io_uring_cmd",
            Tool::FioCmdTopUp => "fio io_uring_cmd submit=QD",
            Tool::FioBlk => "fio io_uring (blk, direct)",
            Tool::NvmeqTcp => "nvmeq tcp",
            Tool::HostFioCmd => "kernel host: fio io_uring_cmd",
            Tool::HostUring => "kernel host: nvmeq uring",
        }
    }
}

/// Ring options, matched between the tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Opts {
    /// Registered buffers: nvmeq `fixedbufs`, fio `--fixedbufs`.
    pub fixedbufs: bool,
    /// Polled completions: nvmeq `poll`, fio `--hipri`.
    pub poll: bool,
    /// A kernel thread polls the SQ: nvmeq `sqpoll`, fio `--sqthread_poll=1`.
    pub sqpoll: bool,
    /// nvmeq only: `--spin`, poll the CQ instead of waiting in
    /// `io_uring_enter` (what fio does by itself with `--sqthread_poll=1`).
    pub spin: bool,
}

impl Opts {
    /// nvmeq's `--backend-opts` spelling (empty: none).
    pub fn label(self) -> String {
        let mut v = Vec::new();
        if self.fixedbufs {
            v.push("fixedbufs");
        }
        if self.poll {
            v.push("poll");
        }
        if self.sqpoll {
            v.push("sqpoll");
        }
        v.join(",")
    }

    /// The options for names and tables: [`Opts::label`] plus `spin`.
    pub fn tag(self) -> String {
        let l = self.label();
        match (self.spin, l.is_empty()) {
            (false, _) => l,
            (true, true) => "spin".into(),
            (true, false) => format!("{l},spin"),
        }
    }
}

/// One run in the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub tool: Tool,
    pub opts: Opts,
    pub qd: u32,
    pub batch: u32,
}

impl Run {
    /// File-name-safe unique name, e.g. `fio-cmd-fixedbufs-qd32`.
    pub fn name(&self) -> String {
        let t = match self.tool {
            Tool::NvmeqUring => "nvmeq-uring",
            Tool::NvmeqIoctl => "nvmeq-ioctl",
            Tool::NvmeqVfio => "nvmeq-vfio",
            Tool::FioCmd => "fio-cmd",
            Tool::FioCmdTopUp => "fio-cmd-topup",
            Tool::FioBlk => "fio-blk",
            Tool::NvmeqTcp => "nvmeq-tcp",
            Tool::HostFioCmd => "host-fio-cmd",
            Tool::HostUring => "host-nvmeq-uring",
            Tool::Queues(q) => return format!("{}-qd{}", q.tag(), self.qd),
        };
        let o = self.opts.tag().replace(',', "-");
        if o.is_empty() {
            format!("{t}-qd{}", self.qd)
        } else {
            format!("{t}-{o}-qd{}", self.qd)
        }
    }
}

/// Batch size used at each queue depth: a quarter of the queue (1 at QD 1).
pub fn batch_for(qd: u32) -> u32 {
    (qd / 4).max(1)
}

/// Every run, per queue depth: nvmeq over io_uring plain, with registered
/// buffers and polled; fio's io_uring_cmd the same three ways; fio's
/// io_uring on the block device; above QD 1 fio's io_uring_cmd submitting
/// whatever is queued (`--iodepth_batch_submit=QD`, nvmeq's former policy);
/// nvmeq's ioctl backend at QD 1 (it is synchronous, a deeper queue is the
/// same run); nvmeq and fio with an SQPOLL thread (nvmeq both waiting in
/// `io_uring_enter` and spinning on the CQ); and nvmeq's VFIO backend
/// (which [`script`] runs last, with controller A on vfio-pci).
pub fn runs(qds: &[u32]) -> Vec<Run> {
    let plain = Opts::default();
    let fixed = Opts {
        fixedbufs: true,
        ..plain
    };
    let poll = Opts {
        poll: true,
        ..plain
    };
    let sqpoll = Opts {
        sqpoll: true,
        ..plain
    };
    let mut v = Vec::new();
    for &qd in qds {
        let batch = batch_for(qd);
        let r = |tool, opts| Run {
            tool,
            opts,
            qd,
            batch,
        };
        for o in [plain, fixed, poll, sqpoll] {
            v.push(r(Tool::NvmeqUring, o));
            v.push(r(Tool::FioCmd, o));
        }
        v.push(r(Tool::FioBlk, plain));
        if qd > 1 {
            v.push(r(Tool::FioCmdTopUp, plain));
        }
        v.push(r(
            Tool::NvmeqUring,
            Opts {
                spin: true,
                ..sqpoll
            },
        ));
        if qd == 1 {
            v.push(r(Tool::NvmeqIoctl, plain));
        }
        v.push(r(Tool::NvmeqVfio, plain));
    }
    v
}

/// The NVMe/TCP runs, per queue depth, all plain: nvmeq-tcp, then the
/// kernel host (`nvme connect` to the same subsystem) through fio's
/// io_uring_cmd and through nvmeq uring, on the same namespace.
pub fn tcp_runs(qds: &[u32]) -> Vec<Run> {
    let mut v = Vec::new();
    for &qd in qds {
        for tool in [Tool::NvmeqTcp, Tool::HostFioCmd, Tool::HostUring] {
            v.push(Run {
                tool,
                opts: Opts::default(),
                qd,
                batch: batch_for(qd),
            });
        }
    }
    v
}

/// The namespace of the guest's NVMe/TCP target the runs read (the
/// memory-backed null_blk one), and the queue size both hosts get.
pub const TCP_NSID: u32 = 2;
pub const TCP_QUEUE_SIZE: u32 = 256;

/// The command line of `run` for the guest's sh (`$NVMEQ_*` expand there).
pub fn command(run: &Run, nvmeq: &str, runtime_s: u32) -> String {
    let Run {
        tool,
        opts,
        qd,
        batch,
    } = run;
    match tool {
        Tool::Queues(q) => {
            let (dev, extra) = q.args();
            format!(
                "{nvmeq} {dev} --pattern randread --bs 4k --qd {qd} --batch {batch} \
                 --runtime {runtime_s} --json --no-progress{extra}"
            )
        }
        Tool::NvmeqUring
        | Tool::NvmeqIoctl
        | Tool::NvmeqVfio
        | Tool::NvmeqTcp
        | Tool::HostUring => {
            let tcp = format!(
                "\"tcp://$NVMEQ_TCP_ADDR:$NVMEQ_TCP_PORT/$NVMEQ_TCP_NQN?queue_size={TCP_QUEUE_SIZE}\" -n {TCP_NSID}"
            );
            let dev = match tool {
                Tool::NvmeqUring => "uring:$NVMEQ_NS_A",
                Tool::NvmeqIoctl => "ioctl:$NVMEQ_NS_A",
                Tool::NvmeqTcp => &tcp,
                Tool::HostUring => "uring:$TCP_NG",
                // PCI_A is saved before the rebind: env.sh no longer
                // finds controller A once vfio-pci has it.
                _ => "vfio:$PCI_A",
            };
            let mut c = format!(
                "{nvmeq} {dev} --pattern randread --bs 4k --qd {qd} --batch {batch} \
                 --runtime {runtime_s} --json --no-progress"
            );
            if !opts.label().is_empty() {
                let _ = write!(c, " --backend-opts {}", opts.label());
            }
            if opts.spin {
                c.push_str(" --spin");
            }
            c
        }
        Tool::FioCmd | Tool::FioCmdTopUp | Tool::FioBlk | Tool::HostFioCmd => {
            let (engine, dev) = match tool {
                Tool::FioBlk => ("--ioengine=io_uring --direct=1", "$NVMEQ_BLK_A"),
                Tool::HostFioCmd => ("--ioengine=io_uring_cmd --cmd_type=nvme", "$TCP_NG"),
                _ => ("--ioengine=io_uring_cmd --cmd_type=nvme", "$NVMEQ_NS_A"),
            };
            let submit = if *tool == Tool::FioCmdTopUp {
                *qd
            } else {
                *batch
            };
            let mut c = format!(
                "fio --name={} --filename={dev} {engine} --rw=randread --bs=4k \
                 --iodepth={qd} --iodepth_batch_submit={submit} \
                 --iodepth_batch_complete_min={batch} --runtime={runtime_s} --time_based \
                 --norandommap --randrepeat=0 --lat_percentiles=1 --output-format=json",
                run.name()
            );
            if opts.fixedbufs {
                c.push_str(" --fixedbufs");
            }
            if opts.poll {
                c.push_str(" --hipri");
            }
            if opts.sqpoll {
                c.push_str(" --sqthread_poll=1");
            }
            c
        }
    }
}

/// Moves controller A to vfio-pci (`/out/vfio-bind`: `ok` or why not). The
/// VFIO runs need the virtual IOMMU (`NVMEQ_IOMMU=1`).
const TO_VFIO: &str = r#"PCI_A=$NVMEQ_PCI_A
to_vfio() {
	d=/sys/bus/pci/devices/$PCI_A
	if [ "${NVMEQ_IOMMU:-0}" != 1 ]; then
		echo "no vIOMMU in this guest (boot with --iommu)" > /out/vfio-bind; return 1
	fi
	echo vfio-pci > $d/driver_override && echo $PCI_A > $d/driver/unbind &&
		echo $PCI_A > /sys/bus/pci/drivers_probe || {
		echo "rebinding $PCI_A to vfio-pci failed" > /out/vfio-bind; return 1; }
	g=$(basename "$(readlink $d/iommu_group)")
	i=0
	while [ ! -e /dev/vfio/$g ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	if [ -e /dev/vfio/$g ]; then echo ok > /out/vfio-bind
	else echo "/dev/vfio/$g did not appear" > /out/vfio-bind; return 1; fi
}
to_nvme() {
	d=/sys/bus/pci/devices/$PCI_A
	echo > $d/driver_override
	[ -e $d/driver ] && echo $PCI_A > $d/driver/unbind
	echo $PCI_A > /sys/bus/pci/drivers_probe
	. /etc/nvmeq/env.sh
	echo "controller A back on nvme: $NVMEQ_CTRL_A $NVMEQ_NS_A" > /out/vfio-unbind
}
"#;

/// The SQPOLL runs also record the process's threads two seconds in
/// (`/out/NAME.tasks`: name, utime and stime in ticks), to show the poller
/// is a thread of the process.
const RUN_TASKS: &str = r#"run_tasks() {
	n=$1; shift
	echo "bench: $n"
	"$@" > /out/$n.json 2> /out/$n.err &
	p=$!
	sleep 2
	for t in /proc/$p/task/*; do
		echo "$(cat $t/comm) $(cut -d')' -f2 $t/stat | cut -d' ' -f13,14)"
	done > /out/$n.tasks 2>/dev/null
	wait $p || echo "bench: $n failed: $(tail -n 2 /out/$n.err)"
}
"#;

/// Connects the kernel host to the guest's NVMe/TCP target with one I/O
/// queue of the size nvmeq-tcp gets, and finds the char device of the
/// namespace the runs read (`TCP_NG`; `/out/tcp-host`: `ok DEV` or why
/// not). With multipath the head disk is `nvmeXnY` and its char device
/// `ngXnY`; the hidden per-path disks (`nvmeXcYnZ`) have none.
fn tcp_host() -> String {
    format!(
        r#"tcp_host() {{
	nvme connect -t tcp -a $NVMEQ_TCP_ADDR -s $NVMEQ_TCP_PORT -n $NVMEQ_TCP_NQN -i 1 -Q {TCP_QUEUE_SIZE} \
		> /out/tcp-connect 2>&1 || {{
		echo "nvme connect failed: $(tail -n 1 /out/tcp-connect)" > /out/tcp-host; return 1; }}
	i=0
	while [ $i -lt 50 ]; do
		for b in /sys/block/nvme*; do
			[ "$(cat $b/nsid 2>/dev/null)" = {TCP_NSID} ] || continue
			[ "$(cat $b/device/subsysnqn 2>/dev/null)" = "$NVMEQ_TCP_NQN" ] || continue
			TCP_NG=/dev/ng${{b##*/nvme}}
			[ -c $TCP_NG ] && {{ echo "ok $TCP_NG" > /out/tcp-host; return 0; }}
		done
		sleep 0.1; i=$((i + 1))
	done
	echo "the kernel host made no char device for nsid {TCP_NSID}" > /out/tcp-host; return 1
}}
"#
    )
}

/// A run with two samples of the guest's CPU time (`/proc/stat`'s `cpu`
/// line and `/proc/uptime`) taken inside it, 2 s after it starts and 1 s
/// before its runtime ends, for the NVMe/TCP runs: target and kernel host
/// work in kernel threads no job thread's rusage sees, and the window
/// leaves out each program's start-up (fio's is long under TCG).
/// `host_run`: the same through the kernel host, or why it cannot run in
/// the run's .err.
fn run_stat(runtime_s: u32) -> String {
    format!(
        r#"run_stat() {{
	n=$1; shift
	echo "bench: $n"
	"$@" > /out/$n.json 2> /out/$n.err &
	p=$!
	sleep 2
	{{ head -n 1 /proc/stat; cut -d' ' -f1 /proc/uptime; }} > /out/$n.stat0
	sleep {}
	{{ head -n 1 /proc/stat; cut -d' ' -f1 /proc/uptime; }} > /out/$n.stat1
	wait $p || echo "bench: $n failed: $(tail -n 2 /out/$n.err)"
}}
host_run() {{
	if [ -n "$TCP_NG" ]; then run_stat "$@"
	else echo "bench: $1: not run, no kernel host: $(cat /out/tcp-host)" | tee /out/$1.err; fi
}}
"#,
        runtime_s.saturating_sub(3).max(1)
    )
}

/// The guest script: each run's stdout goes to `/out/NAME.json`, its stderr
/// to `/out/NAME.err`; a failed run is reported and the next one goes on.
/// The kernel-driver runs come first; then the NVMe/TCP runs (nvmeq-tcp,
/// and the kernel host after `nvme connect`, disconnected after); then
/// controller A moves to vfio-pci for the VFIO runs and back to nvme.
pub fn script(runs: &[Run], nvmeq: &str, runtime_s: u32) -> String {
    let mut s = String::from(
        "#!/bin/sh\n\
         # Generated by `cargo xtask bench vm`: one boot, every run in turn.\n\
         cd /out || exit 1\n\
         uname -r > /out/kernel\n\
         date +%s > /out/t0\n\
         run() {\n\
         \tn=$1; shift\n\
         \techo \"bench: $n\"\n\
         \tif ! \"$@\" > /out/$n.json 2> /out/$n.err; then\n\
         \t\techo \"bench: $n failed: $(tail -n 2 /out/$n.err)\"\n\
         \tfi\n\
         }\n",
    );
    s.push_str(RUN_TASKS);
    let (tcp, local): (Vec<&Run>, Vec<&Run>) = runs.iter().partition(|r| r.tool.is_tcp());
    let (vfio, kernel): (Vec<&Run>, Vec<&Run>) = local.into_iter().partition(|r| r.tool.is_vfio());
    if !tcp.is_empty() {
        s.push_str(&run_stat(runtime_s));
        s.push_str(&tcp_host());
    }
    if !vfio.is_empty() {
        s.push_str(TO_VFIO);
    }
    let line = |s: &mut String, r: &Run| {
        let f = if r.opts.sqpoll && !r.tool.is_fio() {
            "run_tasks"
        } else {
            "run"
        };
        // Word splitting of the unquoted command is what we want here:
        // the arguments contain no spaces, and $NVMEQ_* expand.
        let _ = writeln!(s, "{f} {} {}", r.name(), command(r, nvmeq, runtime_s));
    };
    for r in kernel {
        line(&mut s, r);
    }
    if !tcp.is_empty() {
        // The kernel host first; without it its runs record why in their
        // .err, and nvmeq-tcp's still run. Interleaved by queue depth.
        s.push_str("TCP_NG=\ntcp_host\n");
        for r in tcp {
            let f = if r.tool == Tool::NvmeqTcp {
                "run_stat"
            } else {
                "host_run"
            };
            let _ = writeln!(s, "{f} {} {}", r.name(), command(r, nvmeq, runtime_s));
        }
        s.push_str("[ -n \"$TCP_NG\" ] && nvme disconnect -n $NVMEQ_TCP_NQN > /dev/null\n");
    }
    if !vfio.is_empty() {
        s.push_str("if to_vfio; then\n");
        for r in &vfio {
            s.push('\t');
            line(&mut s, r);
        }
        s.push_str("else\n\techo \"bench: no VFIO runs: $(cat /out/vfio-bind)\"\nfi\nto_nvme\n");
    }
    s.push_str("date +%s > /out/t1\necho bench: done\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matched_settings() {
        let rs = runs(&[1, 32, 128]);
        // Per QD: nvmeq and fio four ways each, fio on the block device,
        // VFIO, and ioctl (QD 1) or fio submit=QD (deeper).
        assert_eq!(rs.len(), 3 * 12);
        let find = |tool, qd, opts: Opts| {
            rs.iter()
                .find(|r| r.tool == tool && r.qd == qd && r.opts == opts)
                .unwrap()
        };
        let fixed = Opts {
            fixedbufs: true,
            ..Opts::default()
        };
        let n = command(find(Tool::NvmeqUring, 32, fixed), "nvmeq bench", 5);
        let f = command(find(Tool::FioCmd, 32, fixed), "nvmeq bench", 5);
        assert!(
            n.contains("--qd 32 --batch 8") && n.contains("--backend-opts fixedbufs"),
            "{n}"
        );
        assert!(f.contains("--iodepth=32 --iodepth_batch_submit=8"), "{f}");
        assert!(
            f.contains("--iodepth_batch_complete_min=8") && f.contains("--fixedbufs"),
            "{f}"
        );
        assert!(
            f.contains("io_uring_cmd --cmd_type=nvme") && f.contains("$NVMEQ_NS_A"),
            "{f}"
        );
        let p = command(
            find(
                Tool::FioCmd,
                128,
                Opts {
                    poll: true,
                    ..Opts::default()
                },
            ),
            "x",
            5,
        );
        assert!(
            p.contains("--hipri") && p.contains("--iodepth_batch_submit=32"),
            "{p}"
        );
        let b = command(find(Tool::FioBlk, 1, Opts::default()), "x", 5);
        assert!(
            b.contains("--direct=1") && b.contains("$NVMEQ_BLK_A"),
            "{b}"
        );
        assert_eq!(find(Tool::NvmeqIoctl, 1, Opts::default()).batch, 1);
        let t = command(find(Tool::FioCmdTopUp, 32, Opts::default()), "x", 5);
        assert!(
            t.contains("--iodepth_batch_submit=32 --iodepth_batch_complete_min=8"),
            "{t}"
        );
        let t = command(find(Tool::FioCmdTopUp, 32, Opts::default()), "x", 5);
        assert!(
            t.contains("--iodepth_batch_submit=32 --iodepth_batch_complete_min=8"),
            "{t}"
        );
    }

    #[test]
    fn sqpoll_and_vfio_runs() {
        let rs = runs(&[1, 32]);
        let sq = |tool| {
            rs.iter()
                .find(|r| r.tool == tool && r.qd == 32 && r.opts.sqpoll && !r.opts.spin)
                .unwrap()
        };
        let spin = rs.iter().find(|r| r.qd == 32 && r.opts.spin).unwrap();
        assert_eq!(spin.name(), "nvmeq-uring-sqpoll-spin-qd32");
        let c = command(spin, "nvmeq bench", 4);
        assert!(c.ends_with("--backend-opts sqpoll --spin"), "{c}");
        let n = command(sq(Tool::NvmeqUring), "nvmeq bench", 4);
        assert!(n.ends_with("--backend-opts sqpoll"), "{n}");
        let f = command(sq(Tool::FioCmd), "nvmeq bench", 4);
        assert!(
            f.contains("--sqthread_poll=1") && !f.contains("--hipri"),
            "{f}"
        );
        let v: Vec<_> = rs.iter().filter(|r| r.tool == Tool::NvmeqVfio).collect();
        assert_eq!(v.iter().map(|r| r.qd).collect::<Vec<_>>(), [1, 32]);
        assert!(command(v[1], "nvmeq bench", 4)
            .contains("vfio:$PCI_A --pattern randread --bs 4k --qd 32 --batch 8"));

        // Controller A moves to vfio-pci only after every kernel run, the
        // VFIO runs happen only if that worked, and A goes back to nvme.
        let s = script(&rs, "nvmeq bench", 4);
        let at = |needle: &str| s.find(needle).unwrap_or_else(|| panic!("{needle}\n{s}"));
        let last_kernel = at("run fio-cmd-topup-qd32 ");
        let bind = at("if to_vfio; then\n");
        assert!(last_kernel < bind && bind < at("\trun nvmeq-vfio-qd1 "));
        assert!(at("\trun nvmeq-vfio-qd32 ") < at("\nto_nvme\n"));
        assert!(at("\nto_nvme\n") < at("date +%s > /out/t1"));
        assert!(s.contains("run_tasks nvmeq-uring-sqpoll-qd32 "));
        assert!(s.contains("run fio-cmd-sqpoll-qd32 "));
        assert!(s.contains("PCI_A=$NVMEQ_PCI_A\n") && s.contains(". /etc/nvmeq/env.sh"));

        // Without VFIO runs there is no rebind at all.
        let kernel_only: Vec<Run> = rs
            .into_iter()
            .filter(|r| r.tool != Tool::NvmeqVfio)
            .collect();
        let s = script(&kernel_only, "nvmeq bench", 4);
        assert!(!s.contains("to_vfio") && !s.contains("to_nvme"));
    }

    #[test]
    fn names_are_unique_and_the_script_runs_each() {
        let rs = runs(&[1, 32, 128]);
        let names: std::collections::BTreeSet<_> = rs.iter().map(Run::name).collect();
        assert_eq!(names.len(), rs.len());
        let s = script(&rs, "nvmeq bench", 5);
        for n in &names {
            assert!(
                s.contains(&format!("run {n} ")) || s.contains(&format!("run_tasks {n} ")),
                "{n}"
            );
        }
        assert!(s.contains("--runtime 5") && s.contains("--runtime=5"));
    }

    #[test]
    fn tcp_runs_and_the_kernel_host() {
        let rs = tcp_runs(&[1, 32]);
        assert_eq!(rs.len(), 6);
        let names: Vec<String> = rs.iter().map(Run::name).collect();
        assert_eq!(
            names[..3],
            ["nvmeq-tcp-qd1", "host-fio-cmd-qd1", "host-nvmeq-uring-qd1"]
        );
        let t = command(&rs[3], "nvmeq bench", 5);
        assert!(
            t.starts_with(
                "nvmeq bench \"tcp://$NVMEQ_TCP_ADDR:$NVMEQ_TCP_PORT/$NVMEQ_TCP_NQN?queue_size=256\" -n 2 "
            ) && t.contains("--qd 32 --batch 8"),
            "{t}"
        );
        let f = command(&rs[4], "nvmeq bench", 5);
        assert!(
            f.contains("--filename=$TCP_NG --ioengine=io_uring_cmd") && f.contains("--iodepth=32"),
            "{f}"
        );
        assert!(command(&rs[5], "nvmeq bench", 5).starts_with("nvmeq bench uring:$TCP_NG "));
        // With the local runs: the kernel host connects once, after the
        // local kernel runs, its runs go through host_run, and it
        // disconnects before controller A moves to vfio-pci.
        let mut all = runs(&[1, 32]);
        all.extend(tcp_runs(&[1, 32]));
        let s = script(&all, "nvmeq bench", 5);
        let at = |needle: &str| s.find(needle).unwrap_or_else(|| panic!("{needle}\n{s}"));
        assert!(at("run fio-cmd-topup-qd32 ") < at("\ntcp_host\n"));
        assert!(at("\ntcp_host\n") < at("run_stat nvmeq-tcp-qd1 "));
        assert!(at("run_stat nvmeq-tcp-qd1 ") < at("host_run host-fio-cmd-qd1 "));
        assert!(at("host_run host-nvmeq-uring-qd32 ") < at("nvme disconnect -n $NVMEQ_TCP_NQN"));
        assert!(at("nvme disconnect -n $NVMEQ_TCP_NQN") < at("if to_vfio; then"));
        assert!(s.contains("-i 1 -Q 256"));
        // Alone: no local runs and no rebind.
        let s = script(&tcp_runs(&[1]), "nvmeq bench", 5);
        assert!(!s.contains("to_vfio") && !s.contains("NVMEQ_NS_A"), "{s}");
    }
}
