//! `pull-model-ddc-req-log` (LID 73h): the 8-byte header, then the rest of
//! the page up to its Total Pull Model DDC Request Log Page Length; text
//! laid out like nvme-cli 2.13's (the parameters as a hex dump).
//!
//! nvme-cli 2.13's JSON for this page prints its `tpdrpl` as a text line
//! and never prints the object it builds; the JSON here is that object,
//! with `tpdrpl` in it.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{pull_model_ddc_osp, PullModelDdcReqLog};
use serde::Serialize;

use super::{parse, read_on, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::{CliError, Result};
use crate::output;

/// `pull-model-ddc-req-log`.
#[derive(Debug, Args)]
pub struct PullModelDdcArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Retain the asynchronous event (RAE).
    #[arg(short = 'r', long = "rae")]
    pub rae: bool,
}

/// `pull-model-ddc-req-log -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PullModelDdcJson {
    ori: u8,
    tpdrpl: u32,
    /// The Operation Specific Parameters as `d_json` rows.
    osp: Vec<String>,
}

/// nvme-cli's `json_pull_model_ddc_req_log` object.
pub fn pull_model_ddc_json(log: &[u8]) -> PullModelDdcJson {
    let h: PullModelDdcReqLog = parse(log, "").unwrap_or_default();
    PullModelDdcJson {
        ori: h.ori,
        tpdrpl: h.tpdrpl.get(),
        osp: output::ascii_rows(pull_model_ddc_osp(log)),
    }
}

/// The page laid out like `nvme pull-model-ddc-req-log`.
pub fn pull_model_ddc_text(log: &[u8]) -> String {
    let h: PullModelDdcReqLog = parse(log, "").unwrap_or_default();
    format!(
        "ori: {}\ntpdrpl: {}\nosp:\n{}",
        h.ori,
        h.tpdrpl.get(),
        output::hexdump(pull_model_ddc_osp(log))
    )
}

/// `nvmeq pull-model-ddc-req-log`.
pub fn pull_model_ddc_req(ctx: &Ctx, a: &PullModelDdcArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Pull Model DDC Request log";
    let req = LogReq {
        rae: a.rae,
        ..LogReq::new(LogId::PULL_MODEL_DDC, u32::MAX)
    };
    let head = size_of::<PullModelDdcReqLog>();
    let mut raw = Vec::new();
    read_on(&mut dev, op, &req, &mut raw, head)?;
    let h: PullModelDdcReqLog = parse(&raw, op)?;
    let total = h.tpdrpl.get() as usize;
    if total < head {
        return Err(CliError::Device(format!(
            "{op}: a page length (TPDRPL) of {total} bytes is shorter than its {head}-byte header"
        )));
    }
    read_on(&mut dev, op, &req, &mut raw, total - head)?;
    output::emit(
        ctx.fmt,
        || pull_model_ddc_text(&raw),
        || pull_model_ddc_json(&raw),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_json() {
        let log = [3, 0, 0, 0, 12, 0, 0, 0, b'a', 0, b'b', 0xff];
        assert_eq!(
            pull_model_ddc_text(&log),
            format!("ori: 3\ntpdrpl: 12\nosp:\n{}", output::hexdump(b"a\0b\xff"))
        );
        let j = serde_json::to_value(pull_model_ddc_json(&log)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"ori": 3, "tpdrpl": 12, "osp": ["a.b."]})
        );
        let e = crate::schema::errors("pull-model-ddc-req-log", &j);
        assert!(e.is_empty(), "{e:?}");
    }
}
