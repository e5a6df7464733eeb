//! `self-test-log` and `device-self-test`: the Device Self-test log laid out
//! like nvme-cli 2.13's, and starting, aborting or watching a test.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use nvmeq_core::cmd::{DeviceSelfTest, LogId, SelfTestCode};
use nvmeq_core::log::{SelfTestLog, SelfTestOutcome, SelfTestResult};
use nvmeq_core::{Data, Status};
use serde::Serialize;

use super::{parse, read_log, LogReq};
use crate::cmd::identify::id_ctrl_of;
#[cfg(test)]
use crate::cmd::Done;
use crate::cmd::{done, Ctx, DevArg};
use crate::device::Device;
use crate::error::{CliError, Result};
use crate::num;
use crate::output::{self, cx, Format};
use nvmeq::BackendKind;

/// Result entries the log holds.
const MAX_RESULTS: u8 = 20;

/// `self-test-log`.
#[derive(Debug, Args)]
pub struct SelfTestLogArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Result entries to show (at most 20).
    #[arg(short = 'e', long = "dst-entries", value_parser = num::u8, default_value = "20")]
    pub entries: u8,
    /// Name each result and test code.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Write the raw 564-byte page to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `device-self-test`.
#[derive(Debug, Args)]
pub struct DeviceSelfTestArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace to test: 0 the controller only, 0xffffffff (default) it and every namespace.
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid, default_value = "0xffffffff")]
    pub nsid: u32,
    /// 1 short, 2 extended, 0xf abort; without it, show the test in progress.
    #[arg(short = 's', long = "self-test-code", value_parser = num::u8)]
    pub stc: Option<u8>,
    /// Wait for the test to finish, showing its progress.
    #[arg(short = 'w', long = "wait")]
    pub wait: bool,
}

/// nvme-cli's sentences for each Device Self-test Result (`-v`).
fn outcome_text(o: SelfTestOutcome) -> &'static str {
    match o.0 {
        0x0 => "Operation completed without error",
        0x1 => "Operation was aborted by a Device Self-test command",
        0x2 => "Operation was aborted by a Controller Level Reset",
        0x3 => "Operation was aborted due to a removal of a namespace from the namespace inventory",
        0x4 => "Operation was aborted due to the processing of a Format NVM command",
        0x5 => "A fatal error or unknown test error occurred while the controller was executing the device self-test operation and the operation did not complete",
        0x6 => "Operation completed with a segment that failed and the segment that failed is not known",
        0x7 => "Operation completed with one or more failed segments and the first segment that failed is indicated in the SegmentNumber field",
        0x8 => "Operation was aborted for unknown reason",
        0x9 => "Operation was aborted due to a sanitize operation",
        0xf => "Entry not used (does not contain a result)",
        _ => "Reserved",
    }
}

fn code_text(c: SelfTestCode) -> &'static str {
    match c {
        SelfTestCode::SHORT => "Short device self-test operation",
        SelfTestCode::EXTENDED => "Extended device self-test operation",
        SelfTestCode::HOST_REFRESH => "Host-Initiated Refresh operation",
        SelfTestCode::VENDOR => "Vendor specific",
        _ => "Reserved",
    }
}

fn result_text(r: &SelfTestResult, verbose: bool) -> String {
    let op = r.outcome();
    let mut s = format!("  Operation Result             : {}", cx(op.0));
    if verbose {
        s += &format!(" {}", outcome_text(op));
    }
    s.push('\n');
    if !r.is_used() {
        return s;
    }
    s += &format!("  Self Test Code               : {:x}", r.code().0);
    if verbose {
        s += &format!(" {}", code_text(r.code()));
    }
    s.push('\n');
    if op == SelfTestOutcome::FAILED_SEGMENT {
        s += &format!("  Segment Number               : {}\n", cx(r.seg));
    }
    s += &format!("  Valid Diagnostic Information : {}\n", cx(r.vdi));
    s += &format!("  Power on hours (POH)         : {}\n", cx(r.poh.get()));
    if let Some(n) = r.failing_nsid() {
        s += &format!("  Namespace Identifier         : {}\n", cx(n));
    }
    if let Some(lba) = r.failing_lba() {
        s += &format!("  Failing LBA                  : {}\n", cx(lba));
    }
    if r.vdi & 4 != 0 {
        s += &format!("  Status Code Type             : {}\n", cx(r.sct));
    }
    if r.vdi & 8 != 0 {
        s += &format!("  Status Code                  : {}", cx(r.sc));
        if verbose {
            let st = Status::from_parts(nvmeq_core::Sct(r.sct & 7), r.sc);
            s += &format!(" {}", st.name().unwrap_or("Unknown"));
        }
        s.push('\n');
    }
    s += &format!(
        "  Vendor Specific              : {} {}\n",
        cx(r.vs[0]),
        cx(r.vs[1])
    );
    s
}

/// The Device Self-test log laid out like `nvme self-test-log`.
pub fn self_test_text(l: &SelfTestLog, devname: &str, entries: u8, verbose: bool) -> String {
    let mut s = format!(
        "Device Self Test Log for NVME device:{devname}\nCurrent operation  : {}\nCurrent Completion : {}%\n",
        cx(l.current_operation),
        l.completion
    );
    for (i, r) in l
        .result
        .iter()
        .take(entries.min(MAX_RESULTS).into())
        .enumerate()
    {
        s += &format!("Self Test Result[{i}]:\n{}", result_text(r, verbose));
    }
    s
}

/// One result entry of `self-test-log -o json`: an unused entry holds only
/// its result (0Fh); the failing namespace, LBA and status only when the
/// Valid Diagnostic Information bits say they are valid.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SelfTestEntryJson {
    #[serde(rename = "Self test result")]
    result: u8,
    #[serde(rename = "Self test code", skip_serializing_if = "Option::is_none")]
    code: Option<u8>,
    #[serde(rename = "Segment number", skip_serializing_if = "Option::is_none")]
    seg: Option<u8>,
    #[serde(
        rename = "Valid Diagnostic Information",
        skip_serializing_if = "Option::is_none"
    )]
    vdi: Option<u8>,
    #[serde(rename = "Power on hours", skip_serializing_if = "Option::is_none")]
    poh: Option<u64>,
    #[serde(
        rename = "Namespace Identifier",
        skip_serializing_if = "Option::is_none"
    )]
    nsid: Option<u32>,
    #[serde(rename = "Failing LBA", skip_serializing_if = "Option::is_none")]
    flba: Option<u64>,
    #[serde(rename = "Status Code Type", skip_serializing_if = "Option::is_none")]
    sct: Option<u8>,
    #[serde(rename = "Status Code", skip_serializing_if = "Option::is_none")]
    sc: Option<u8>,
    #[serde(rename = "Vendor Specific", skip_serializing_if = "Option::is_none")]
    vs: Option<u16>,
}

/// nvme-cli's `json_self_test_log`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SelfTestJson {
    #[serde(rename = "Current Device Self-Test Operation")]
    current_operation: u8,
    #[serde(rename = "Current Device Self-Test Completion")]
    completion: u8,
    #[serde(rename = "List of Valid Reports")]
    reports: Vec<SelfTestEntryJson>,
}

/// What `device-self-test -o json` prints, for its schema: the test in
/// progress without `--self-test-code` ([`self_test_json`]), else what a
/// command without a structure prints ([`done`]).
#[cfg(test)]
#[derive(Debug, schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Never built: only its schema is used.
pub enum DeviceSelfTestJson {
    Progress(SelfTestJson),
    Started(Done),
}

/// nvme-cli's `json_self_test_log`.
pub fn self_test_json(l: &SelfTestLog, entries: u8) -> SelfTestJson {
    let reports = l
        .result
        .iter()
        .take(entries.min(MAX_RESULTS).into())
        .map(|e| {
            let mut j = SelfTestEntryJson {
                result: e.dsts & 0xf,
                code: None,
                seg: None,
                vdi: None,
                poh: None,
                nsid: None,
                flba: None,
                sct: None,
                sc: None,
                vs: None,
            };
            if e.is_used() {
                j.code = Some(e.dsts >> 4);
                j.seg = Some(e.seg);
                j.vdi = Some(e.vdi);
                j.poh = Some(e.poh.get());
                j.nsid = e.failing_nsid();
                j.flba = e.failing_lba();
                j.sct = (e.vdi & 4 != 0).then_some(e.sct);
                j.sc = (e.vdi & 8 != 0).then_some(e.sc);
                j.vs = Some(u16::from(e.vs[1]) << 8 | u16::from(e.vs[0]));
            }
            j
        })
        .collect();
    SelfTestJson {
        current_operation: l.current_operation,
        completion: l.completion,
        reports,
    }
}

fn read_self_test_log(dev: &mut Device) -> Result<(SelfTestLog, Vec<u8>)> {
    let op = "Device Self-test log";
    let raw = read_log(
        dev,
        op,
        &LogReq::new(LogId::DEVICE_SELF_TEST, u32::MAX),
        564,
        564,
    )?;
    Ok((parse(&raw, op)?, raw))
}

/// `nvmeq self-test-log`.
pub fn self_test_log(ctx: &Ctx, a: &SelfTestLogArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let (l, raw) = read_self_test_log(&mut dev)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || self_test_text(&l, &dev.name, a.entries, a.verbose),
        || self_test_json(&l, a.entries),
        &raw,
    )
}

/// Polls the log until the test in progress ends, drawing nvme-cli's bar.
/// A controller that makes no progress for EDSTT × 60 % + 60 s is given up
/// on, as nvme-cli does. The ram controller's test advances per command, not
/// with time, so it is polled without a pause.
fn wait_self_test(dev: &mut Device, show: bool) -> Result<()> {
    let (c, _) = id_ctrl_of(dev)?;
    let pause = if dev.inner().backend() == BackendKind::Ram {
        Duration::ZERO
    } else {
        Duration::from_secs(1)
    };
    let limit = u32::from(c.edstt) * 60 * 60 / 100 + 60;
    let spin = ['-', '\\', '|', '/'];
    let mut out = std::io::stdout().lock();
    if show {
        let _ = writeln!(out, "Waiting for self test completion...");
    }
    let (mut p, mut stalled, mut i) = (0u8, 0u32, 0usize);
    loop {
        if show {
            let _ = write!(
                out,
                "\r[{}{}{}] {p:3}%",
                "=".repeat(usize::from(p / 2)),
                spin[i % 4],
                " ".repeat(49 - usize::from(p / 2).min(49))
            );
            let _ = out.flush();
        }
        i += 1;
        std::thread::sleep(pause);
        let (l, _) = read_self_test_log(dev)?;
        stalled += 1;
        if stalled > limit {
            return Err(CliError::Device(format!(
                "device self-test: no progress for {limit} polls, stopped waiting"
            )));
        }
        let now = l.percent_complete();
        if l.current().is_none() && (p > 0 || now == 0) {
            if show {
                let _ = writeln!(out, "\r[{}] 100%", "=".repeat(50));
            }
            return Ok(());
        }
        if now < p {
            return Err(CliError::Device(format!(
                "device self-test: progress went back from {p}% to {now}%"
            )));
        }
        if now != p {
            p = now;
            stalled = 0;
        }
    }
}

/// `nvmeq device-self-test`.
pub fn device_self_test(ctx: &Ctx, a: &DeviceSelfTestArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let show = ctx.fmt == Format::Normal;
    let Some(stc) = a.stc else {
        // No code: report the test in progress, as nvme-cli does.
        let (l, _) = read_self_test_log(&mut dev)?;
        if l.current().is_none() {
            return match ctx.fmt {
                Format::Json => output::json(&self_test_json(&l, 0)),
                _ => output::text("no self test running\n"),
            };
        }
        if a.wait {
            return wait_self_test(&mut dev, show);
        }
        return match ctx.fmt {
            Format::Json => output::json(&self_test_json(&l, 0)),
            _ => output::text(&format!("progress {}%\n", l.percent_complete())),
        };
    };
    let code = SelfTestCode(stc & 0xf);
    let cmd = DeviceSelfTest::new(a.nsid, code).build();
    let c = dev.exec("Device Self-test", &cmd, Data::None)?;
    let started = match code {
        SelfTestCode::ABORT => "Aborting device self-test operation",
        SelfTestCode::EXTENDED => "Extended Device self-test started",
        SelfTestCode::SHORT => "Short Device self-test started",
        SelfTestCode::HOST_REFRESH => "Host-Initiated Refresh started",
        _ => "",
    };
    if show && !started.is_empty() {
        output::text(&format!("{started}\n"))?;
    }
    if a.wait && code != SelfTestCode::ABORT {
        wait_self_test(&mut dev, show)?;
    }
    if show {
        Ok(())
    } else {
        done(
            ctx,
            "device-self-test",
            Some(a.nsid),
            u64::from(c.dw0) | u64::from(c.dw1) << 32,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromBytes;

    #[test]
    fn a_used_entry_has_its_valid_fields_in_nvme_cli_order() {
        let mut b = vec![0u8; 564];
        b[4..28].copy_from_slice(&[
            0x12, 3, 0xf, 0, // DSTS (code 1, result 2), SEG, VDI (all valid)
            100, 0, 0, 0, 0, 0, 0, 0, // POH
            1, 0, 0, 0, // NSID
            0x40, 0, 0, 0, 0, 0, 0, 0, // FLBA
        ]);
        b[28..32].copy_from_slice(&[2, 0x81, 0x34, 0x12]); // SCT, SC, VS
        b[32] = 0xf; // the second entry: unused
        let l = SelfTestLog::read_from_bytes(&b).unwrap();
        let s = serde_json::to_string(&self_test_json(&l, 2)).unwrap();
        assert_eq!(
            s,
            concat!(
                r#"{"Current Device Self-Test Operation":0,"Current Device Self-Test Completion":0,"#,
                r#""List of Valid Reports":[{"Self test result":2,"Self test code":1,"#,
                r#""Segment number":3,"Valid Diagnostic Information":15,"Power on hours":100,"#,
                r#""Namespace Identifier":1,"Failing LBA":64,"Status Code Type":2,"#,
                r#""Status Code":129,"Vendor Specific":4660},{"Self test result":15}]}"#
            )
        );
        let j: serde_json::Value = serde_json::from_str(&s).unwrap();
        let e = crate::schema::errors("self-test-log", &j);
        assert!(e.is_empty(), "{e:?}");
        let e = crate::schema::errors("device-self-test", &j);
        assert!(e.is_empty(), "{e:?}");
    }
}
