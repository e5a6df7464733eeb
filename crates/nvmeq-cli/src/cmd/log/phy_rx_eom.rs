//! `phy-rx-eom-log` (LID 19h): the header first with the action cleared
//! from the LSP (a measurement is only read), then the whole page with the
//! LSP given; text laid out like nvme-cli 2.13's, JSON with its keys.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{eom_lanes, EomAction, EomLsp, EomQuality, PhyRxEomLog};
use serde::Serialize;

use super::{parse, read_log, stated_len, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::{usage, CliError, Result};
use crate::num;
use crate::output;

const OP: &str = "Physical Interface Receiver Eye Opening Measurement log";

/// `phy-rx-eom-log`.
#[derive(Debug, Args)]
pub struct PhyRxEomArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Log Specific Parameter: bits 1:0 the measurement quality (0 good,
    /// 1 better, 2 best), bits 3:2 the action (0 read, 1 start, 2 abort).
    #[arg(short = 's', long = "lsp", value_parser = num::u8, default_value = "0")]
    pub lsp: u8,
    /// Target Controller ID (the LSI).
    #[arg(short = 'c', long = "controller", value_parser = num::u16, default_value = "0")]
    pub controller: u16,
    /// Decode the Optional Data Present bits.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
}

/// The LSP as nvme-cli 2.13 checks it: 7 bits, a defined quality and action.
pub fn check_lsp(lsp: u8) -> Result<EomLsp> {
    let l = EomLsp::from_bits(lsp);
    if lsp > 127 {
        Err(usage(format!("invalid lsp param: {lsp}")))
    } else if l.quality() == EomQuality(3) {
        Err(usage(format!("invalid measurement quality: {}", lsp & 3)))
    } else if l.action() == EomAction(3) {
        Err(usage(format!("invalid action: {}", lsp & 12)))
    } else {
        Ok(l)
    }
}

/// The page laid out like `nvme phy-rx-eom-log`.
pub fn phy_rx_eom_text(log: &[u8], controller: u16, verbose: bool) -> String {
    let h: PhyRxEomLog = parse(log, "").unwrap_or_default();
    let mut s = format!(
        "Physical Interface Receiver Eye Opening Measurement Log for controller ID: {controller}\n"
    );
    s += &format!("Log ID: {}\n", h.lid);
    s += &format!(
        "EOM In Progress: {}\n",
        h.progress().name().unwrap_or("Unknown")
    );
    s += &format!("Header Size: {}\n", h.hsize.get());
    s += &format!("Result Size: {}\n", h.rsize.get());
    s += &format!("EOM Data Generation Number: {}\n", h.eomdgn);
    s += &format!("Log Revision: {}\n", h.lr);
    s += &format!("Optional Data Present: {}\n", h.odp);
    if verbose {
        let not = |b: bool| if b { "" } else { "Not " };
        if h.odp >> 2 != 0 {
            s += &format!("  [7:2] : {:#x}\tReserved\n", h.odp >> 2);
        }
        let (edfp, pefp) = (h.eye_data_present(), h.printable_eye_present());
        s += &format!(
            "  [1:1] : {}\tEye Data Field {}Present\n",
            output::cx(u8::from(edfp)),
            not(edfp)
        );
        s += &format!(
            "  [0:0] : {}\tPrintable Eye Field {}Present\n",
            output::cx(u8::from(pefp)),
            not(pefp)
        );
    }
    s += &format!("Lanes: {}\n", h.lanes);
    s += &format!("Eyes Per Lane: {}\n", h.epl);
    s += &format!("Log Specific Parameter Field Copy: {}\n", h.lspfc);
    s += &format!("Link Information: {}\n", h.li);
    s += &format!("Log Specific Identifier Copy: {}\n", h.lsic.get());
    s += &format!("Descriptor Size: {}\n", h.dsize.get());
    s += &format!("Number of Descriptors: {}\n", h.nd.get());
    s += &format!("Maximum Top Bottom: {}\n", h.maxtb.get());
    s += &format!("Maximum Left Right: {}\n", h.maxlr.get());
    s += &format!("Estimated Time for Good Quality: {}\n", h.etgood.get());
    s += &format!("Estimated Time for Better Quality: {}\n", h.etbetter.get());
    s += &format!("Estimated Time for Best Quality: {}\n", h.etbest.get());
    for lane in eom_lanes(log) {
        let d = &lane.desc;
        s += &format!(
            "Measurement Status: {}\n",
            if d.mstatus != 0 {
                "Successful"
            } else {
                "Not Successful"
            }
        );
        s += &format!("Lane: {}\nEye: {}\n", d.lane, d.eye);
        s += &format!("Top: {}\nBottom: {}\n", d.top.get(), d.bottom.get());
        s += &format!("Left: {}\nRight: {}\n", d.left.get(), d.right.get());
        s += &format!("Number of Rows: {}\n", d.nrows.get());
        s += &format!("Number of Columns: {}\n", d.ncols.get());
        s += &format!("Eye Data Length: {}\n", d.edlen.get());
        if let Some(eye) = lane.printable_eye(h.printable_eye_present()) {
            s += &eye_rows(eye, d.ncols.get());
        }
    }
    s
}

/// The Printable Eye, each row of `ncols` characters ended by a newline.
fn eye_rows(eye: &[u8], ncols: u16) -> String {
    let mut s = String::new();
    for row in eye.chunks(usize::from(ncols).max(1)) {
        s.extend(row.iter().map(|&c| char::from(c)));
        s.push('\n');
    }
    s
}

/// One EOM Lane Descriptor. nvme-cli 2.13 writes MSTATUS under `lid`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EomDescJson {
    /// Measurement Status (nvme-cli's key).
    lid: u8,
    lane: u8,
    eye: u8,
    top: u16,
    bottom: u16,
    left: u16,
    right: u16,
    nrows: u16,
    ncols: u16,
    edlen: u16,
}

/// nvme-cli's `json_phy_rx_eom_log`: the header's fields; once the
/// measurement completed, `descs`, and `printable_eye` (nvme-cli writes each
/// descriptor's eye to the same top-level key: the last one stays).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PhyRxEomJson {
    lid: u8,
    eomip: u8,
    hsize: u16,
    rsize: u32,
    eomdgn: u8,
    lr: u8,
    lanes: u8,
    epl: u8,
    lspfc: u8,
    li: u8,
    lsic: u16,
    dsize: u32,
    nd: u16,
    maxtb: u16,
    maxlr: u16,
    etgood: u16,
    etbetter: u16,
    etbest: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    descs: Option<Vec<EomDescJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    printable_eye: Option<String>,
}

/// `phy-rx-eom-log -o json`.
pub fn phy_rx_eom_json(log: &[u8]) -> PhyRxEomJson {
    let h: PhyRxEomLog = parse(log, "").unwrap_or_default();
    let completed = h.progress() == nvmeq_core::log::EomProgress::COMPLETED;
    let mut printable_eye = None;
    let descs = completed.then(|| {
        eom_lanes(log)
            .map(|lane| {
                let d = lane.desc;
                if let Some(eye) = lane.printable_eye(h.printable_eye_present()) {
                    printable_eye = Some(eye_rows(eye, d.ncols.get()));
                }
                EomDescJson {
                    lid: d.mstatus,
                    lane: d.lane,
                    eye: d.eye,
                    top: d.top.get(),
                    bottom: d.bottom.get(),
                    left: d.left.get(),
                    right: d.right.get(),
                    nrows: d.nrows.get(),
                    ncols: d.ncols.get(),
                    edlen: d.edlen.get(),
                }
            })
            .collect()
    });
    PhyRxEomJson {
        lid: h.lid,
        eomip: h.eomip,
        hsize: h.hsize.get(),
        rsize: h.rsize.get(),
        eomdgn: h.eomdgn,
        lr: h.lr,
        lanes: h.lanes,
        epl: h.epl,
        lspfc: h.lspfc,
        li: h.li,
        lsic: h.lsic.get(),
        dsize: h.dsize.get(),
        nd: h.nd.get(),
        maxtb: h.maxtb.get(),
        maxlr: h.maxlr.get(),
        etgood: h.etgood.get(),
        etbetter: h.etbetter.get(),
        etbest: h.etbest.get(),
        descs,
        printable_eye,
    }
}

/// `nvmeq phy-rx-eom-log`.
pub fn phy_rx_eom(ctx: &Ctx, a: &PhyRxEomArgs) -> Result<()> {
    let lsp = check_lsp(a.lsp)?;
    let mut dev = ctx.open(&a.dev)?;
    let base = LogReq {
        lsi: a.controller,
        ..LogReq::new(LogId::PHY_RX_EOM, 0)
    };
    // The header with the action cleared: nothing is started or aborted yet.
    let read_only = LogReq {
        lsp: lsp.with_action(EomAction::READ).into_bits(),
        ..base
    };
    let head = read_log(&mut dev, OP, &read_only, 64, 64)?;
    let h: PhyRxEomLog = parse(&head, OP)?;
    let len = stated_len(OP, h.page_len(), "HSIZE + DSIZE × ND")?;
    if len < size_of::<PhyRxEomLog>() {
        return Err(CliError::Device(format!(
            "{OP}: a page of {len} bytes (HSIZE + DSIZE × ND) is shorter than its 64-byte header"
        )));
    }
    let req = LogReq {
        lsp: lsp.into_bits(),
        ..base
    };
    let padded = len.next_multiple_of(4);
    let piece = (dev.max_xfer() as usize & !3).clamp(4, padded);
    let raw = read_log(&mut dev, OP, &req, padded, piece)?;
    // The page the action answered with states its own length again.
    let h: PhyRxEomLog = parse(&raw, OP)?;
    let raw = &raw[..len.min(usize::try_from(h.page_len()).unwrap_or(len))];
    output::emit(
        ctx.fmt,
        || phy_rx_eom_text(raw, a.controller, a.verbose),
        || phy_rx_eom_json(raw),
        raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::log::EomLaneDesc;
    use zerocopy::IntoBytes;

    fn page() -> Vec<u8> {
        let mut h = PhyRxEomLog {
            lid: 0x19,
            eomip: 2,
            odp: 1,
            lanes: 1,
            epl: 2,
            ..Default::default()
        };
        h.hsize.set(64);
        h.dsize.set(40);
        h.nd.set(2);
        h.lsic.set(3);
        let mut log = h.as_bytes().to_vec();
        for (eye, art) in [(0u8, b"ab\ncd\n"), (1, b"ef\ngh\n")] {
            let mut d = EomLaneDesc {
                mstatus: 1,
                eye,
                ..Default::default()
            };
            d.top.set(5);
            d.nrows.set(2);
            d.ncols.set(3);
            log.extend_from_slice(d.as_bytes());
            log.extend_from_slice(art);
            log.extend_from_slice(&[0, 0]);
        }
        log
    }

    #[test]
    fn lines_and_json() {
        let log = page();
        let t = phy_rx_eom_text(&log, 3, true);
        assert!(t.starts_with("Physical Interface Receiver Eye Opening Measurement Log for controller ID: 3\nLog ID: 25\nEOM In Progress: Completed\nHeader Size: 64\n"), "{t}");
        assert!(t.contains("Optional Data Present: 1\n  [1:1] : 0\tEye Data Field Not Present\n  [0:0] : 0x1\tPrintable Eye Field Present\nLanes: 1\n"), "{t}");
        assert!(t.contains("Number of Descriptors: 2\n"), "{t}");
        assert!(t.ends_with("Eye Data Length: 0\nef\n\ngh\n\n"), "{t}");
        assert!(
            t.contains("Measurement Status: Successful\nLane: 0\nEye: 1\nTop: 5\n"),
            "{t}"
        );
        assert!(
            t.contains("Eye Data Length: 0\nab\n\ncd\n\nMeasurement Status"),
            "{t}"
        );
        let j = serde_json::to_value(phy_rx_eom_json(&log)).unwrap();
        assert_eq!(j["lid"], 25);
        assert_eq!(j["lsic"], 3);
        assert_eq!(j["descs"][1]["eye"], 1);
        assert_eq!(j["descs"][0]["lid"], 1);
        assert_eq!(j["printable_eye"], "ef\n\ngh\n\n");
        let e = crate::schema::errors("phy-rx-eom-log", &j);
        assert!(e.is_empty(), "{e:?}");
        // Before completion: the header alone, no descriptor keys.
        let mut log = log;
        log[1] = 1;
        let j = serde_json::to_value(phy_rx_eom_json(&log[..64])).unwrap();
        assert!(j.get("descs").is_none() && j.get("printable_eye").is_none());
        assert!(!phy_rx_eom_text(&log, 0, false).contains("Measurement Status"));
        let e = crate::schema::errors("phy-rx-eom-log", &j);
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn lsp_refusals() {
        assert!(check_lsp(0x06).is_ok());
        for (lsp, msg) in [
            (128, "invalid lsp param: 128"),
            (3, "invalid measurement quality: 3"),
            (12, "invalid action: 12"),
        ] {
            assert_eq!(check_lsp(lsp).unwrap_err().to_string(), msg);
        }
    }
}
