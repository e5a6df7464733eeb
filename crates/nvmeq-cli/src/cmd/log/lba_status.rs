//! `lba-status-log` (LID 0Eh): its length first, then the page; text laid
//! out like nvme-cli 2.13's, JSON with its keys.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{lba_status_elements, LbaStatusLog};
use serde::Serialize;

use super::{parse, read_log, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::{CliError, Result};
use crate::output;

/// `lba-status-log`.
#[derive(Debug, Args)]
pub struct LbaStatusArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Retain the asynchronous event (RAE).
    #[arg(short = 'r', long = "rae")]
    pub rae: bool,
}

/// The page laid out like `nvme lba-status-log`.
pub fn lba_status_text(log: &[u8], devname: &str) -> String {
    let h: LbaStatusLog = parse(log, "").unwrap_or_default();
    let mut s = format!("LBA Status Log for device: {devname}\n");
    s += &format!("LBA Status Log Page Length: {}\n", h.lslplen.get());
    s += &format!(
        "Number of LBA Status Log Namespace Elements: {}\n",
        h.nlslne.get()
    );
    s += &format!(
        "Estimate of Unrecoverable Logical Blocks: {}\n",
        h.estulb.get()
    );
    s += &format!("LBA Status Generation Counter: {}\n", h.lsgc.get());
    for (ele, e) in lba_status_elements(log).enumerate() {
        s += &format!("Namespace Element Identifier: {}\n", e.element.neid.get());
        let nlrd = e.element.nlrd.get();
        s += &format!("Number of LBA Range Descriptors: {nlrd}\n");
        s += &format!("Recommended Action Type: {}\n", e.element.ratype);
        if nlrd == u32::MAX {
            s += &format!(
                "Number of LBA Range Descriptors (NLRD) set to {nlrd:#x} for NS element {ele}\n"
            );
        }
        for (i, r) in e.ranges().enumerate() {
            s += &format!(
                "RSLBA[{i}]: {}\nRNLB[{i}]: {}\n",
                r.rslba.get(),
                r.rnlb.get()
            );
        }
    }
    s
}

/// One LBA Range Descriptor.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RangeJson {
    rslba: u64,
    rnlb: u32,
}

/// One LBA Status Log Namespace Element and its ranges.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NsElementJson {
    neid: u32,
    nlrd: u32,
    ratype: u8,
    descs: Vec<RangeJson>,
}

/// nvme-cli's `json_lba_status_log`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LbaStatusLogJson {
    lslplen: u32,
    nlslne: u32,
    estulb: u32,
    lsgc: u16,
    ns_elements: Vec<NsElementJson>,
}

/// `lba-status-log -o json`.
pub fn lba_status_json(log: &[u8]) -> LbaStatusLogJson {
    let h: LbaStatusLog = parse(log, "").unwrap_or_default();
    LbaStatusLogJson {
        lslplen: h.lslplen.get(),
        nlslne: h.nlslne.get(),
        estulb: h.estulb.get(),
        lsgc: h.lsgc.get(),
        ns_elements: lba_status_elements(log)
            .map(|e| NsElementJson {
                neid: e.element.neid.get(),
                nlrd: e.element.nlrd.get(),
                ratype: e.element.ratype,
                descs: e
                    .ranges()
                    .map(|d| RangeJson {
                        rslba: d.rslba.get(),
                        rnlb: d.rnlb.get(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// `nvmeq lba-status-log`.
pub fn lba_status(ctx: &Ctx, a: &LbaStatusArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "LBA Status Information log";
    let base = LogReq::new(LogId::LBA_STATUS, 0);
    // The page's length first, the event retained so the page stays put.
    let head = read_log(&mut dev, op, &LogReq { rae: true, ..base }, 4, 4)?;
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if len < size_of::<LbaStatusLog>() {
        return Err(CliError::Device(format!(
            "{op}: a page length of {len} bytes is shorter than its 16-byte header"
        )));
    }
    let req = LogReq { rae: a.rae, ..base };
    let piece = (dev.max_xfer() as usize & !3).clamp(4, len.next_multiple_of(4));
    let raw = read_log(&mut dev, op, &req, len.next_multiple_of(4), piece)?;
    let raw = &raw[..len];
    output::emit(
        ctx.fmt,
        || lba_status_text(raw, &dev.name),
        || lba_status_json(raw),
        raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::log::{LbaRangeDesc, LbaStatusNsElement};
    use zerocopy::IntoBytes;

    #[test]
    fn lines_and_json() {
        let mut h = LbaStatusLog::default();
        h.lslplen.set(48);
        h.nlslne.set(1);
        h.lsgc.set(4);
        let mut e = LbaStatusNsElement::default();
        e.neid.set(1);
        e.nlrd.set(1);
        e.ratype = 0x10;
        let mut d = LbaRangeDesc::default();
        d.rslba.set(64);
        d.rnlb.set(8);
        let mut log = h.as_bytes().to_vec();
        log.extend_from_slice(e.as_bytes());
        log.extend_from_slice(d.as_bytes());
        let t = lba_status_text(&log, "nvme0");
        assert!(t.starts_with("LBA Status Log for device: nvme0\nLBA Status Log Page Length: 48\nNumber of LBA Status Log Namespace Elements: 1\n"), "{t}");
        assert!(t.contains("LBA Status Generation Counter: 4\nNamespace Element Identifier: 1\nNumber of LBA Range Descriptors: 1\nRecommended Action Type: 16\nRSLBA[0]: 64\nRNLB[0]: 8\n"), "{t}");
        let j = serde_json::to_value(lba_status_json(&log)).unwrap();
        assert_eq!(j["ns_elements"][0]["descs"][0]["rslba"], 64);
        assert_eq!(j["lsgc"], 4);
        let e = crate::schema::errors("lba-status-log", &j);
        assert!(e.is_empty(), "{e:?}");
    }
}
