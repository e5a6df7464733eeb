//! `--verify` on the ram controller, plain and protected: a correct device
//! passes with reads checked, and one whose read returns a flipped bit, in
//! the data or in the PI, stops the run with the block named.

mod common;

use nvmeq_bench::{BenchError, Config, Limit, Pattern, Region};
use nvmeq_core::{Backend, Cmd, Error, IoBuf, Reaped, Rejected, WithMeta};
use nvmeq_ram::{RamBuf, RamConfig, RamController};

/// Which byte of a read's buffers to flip, from the `nth` read on.
#[derive(Clone, Copy)]
enum Flip {
    None,
    Data,
    Meta,
}

/// The ram controller, with the reads it returns corrupted as `flip` says
/// once `after` reads have come back intact.
struct Corrupting {
    inner: RamController,
    flip: Flip,
    after: u64,
    reads: Vec<bool>,
}

impl Backend for Corrupting {
    forward_to_inner!();
    fn push(&mut self, cmd: &Cmd, buf: Option<RamBuf>, tag: u64) -> Result<(), Rejected<RamBuf>> {
        self.note(cmd, tag);
        self.inner.push(cmd, buf, tag)
    }
    fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<RamBuf>,
        meta: Option<RamBuf>,
        tag: u64,
    ) -> Result<(), Rejected<WithMeta<RamBuf>>> {
        self.note(cmd, tag);
        self.inner.push_with(cmd, data, meta, tag)
    }
    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        self.inner.submit(min_complete)
    }
    fn reap(&mut self, mut f: impl FnMut(Reaped<RamBuf>)) -> usize {
        let (flip, reads) = (self.flip, &self.reads);
        let after = &mut self.after;
        self.inner.reap(|mut r| {
            if reads.get(r.tag as usize) == Some(&true) && r.result.is_ok() {
                if *after > 0 {
                    *after -= 1;
                } else {
                    let b = match flip {
                        Flip::None => None,
                        Flip::Data => r.buf.as_mut(),
                        Flip::Meta => r.meta.as_mut(),
                    };
                    if let Some(b) = b {
                        b.as_mut_slice()[1] ^= 0x10;
                    }
                }
            }
            f(r)
        })
    }
    fn in_flight(&self) -> u32 {
        self.inner.in_flight()
    }
}

impl Corrupting {
    fn note(&mut self, cmd: &Cmd, tag: u64) {
        if let Some(r) = self.reads.get_mut(tag as usize) {
            *r = cmd.sqe.opcode() == nvmeq_core::opcode::NvmOpcode::READ.0;
        }
    }
}

fn cfg() -> Config {
    let mut c = Config::new(Pattern::Mixed { read_pct: 50 });
    c.qd = 8;
    c.batch = 4;
    c.limit = Limit::Ios(4000);
    // Small, so most reads find a block this run wrote.
    c.region = Some(Region {
        start_lba: 0,
        blocks: 512,
    });
    c.allow_destructive = true;
    c.verify = true;
    c
}

fn run(rc: RamConfig, flip: Flip) -> Result<nvmeq_bench::Report, BenchError> {
    let c = cfg();
    nvmeq_bench::run(&c, || {
        RamController::new(rc.clone()).map(|inner| Corrupting {
            inner,
            flip,
            after: 100,
            reads: vec![false; c.qd as usize],
        })
    })
}

fn formats() -> Vec<(&'static str, RamConfig)> {
    vec![
        ("plain 4096", RamConfig::new(16 << 20, 4096)),
        ("PI type 1, 512 + 8", {
            let mut c = RamConfig::new(16 << 20, 512);
            c.ms = 8;
            c.pi = Some(nvmeq_core::pi::Pi::new(
                nvmeq_core::pi::PiType::Type1,
                nvmeq_core::pi::Pif::Guard16,
            ));
            c
        }),
    ]
}

#[test]
fn a_correct_device_passes_with_reads_checked() {
    for (name, rc) in formats() {
        let r = run(rc, Flip::None).unwrap_or_else(|e| panic!("{name}: {e}"));
        let v = r.verified.expect("--verify reports a count");
        assert!(
            v > r.reads / 2,
            "{name}: only {v} of {} reads checked",
            r.reads
        );
    }
}

#[test]
fn a_flipped_data_bit_is_named() {
    for (name, rc) in formats() {
        let e = run(rc, Flip::Data).expect_err(name).to_string();
        assert!(
            e.contains("verify: LBA") && e.contains("differs from what was written, from byte 0"),
            "{name}: {e}"
        );
    }
}

#[test]
fn a_flipped_pi_bit_is_named() {
    let (name, rc) = formats().remove(1);
    let e = run(rc, Flip::Meta).expect_err(name).to_string();
    assert!(e.contains("verify: LBA") && e.contains("guard"), "{e}");
}
