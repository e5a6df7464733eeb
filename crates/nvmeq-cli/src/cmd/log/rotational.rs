//! `rotational-media-info-log` (LID 16h): one 512-byte page for the
//! Endurance Group `--endg-id` names (the LSI); text and JSON with
//! nvme-cli 2.13's field names.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::RotationalMediaLog;
use serde::Serialize;

use super::{parse, read_log, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::Result;
use crate::num;
use crate::output;

const OP: &str = "Rotational Media Information log";

/// `rotational-media-info-log`.
#[derive(Debug, Args)]
pub struct RotationalArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Endurance Group Identifier (the LSI).
    #[arg(short = 'e', long = "endg-id", value_parser = num::u16, default_value = "0")]
    pub endgid: u16,
}

/// nvme-cli's `json_rotational_media_info_log`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RotationalJson {
    endgid: u16,
    numa: u16,
    nrs: u16,
    spinc: u32,
    fspinc: u32,
    ldc: u32,
    fldc: u32,
}

impl From<&RotationalMediaLog> for RotationalJson {
    fn from(l: &RotationalMediaLog) -> Self {
        RotationalJson {
            endgid: l.endgid.get(),
            numa: l.numa.get(),
            nrs: l.nrs.get(),
            spinc: l.spinc.get(),
            fspinc: l.fspinc.get(),
            ldc: l.ldc.get(),
            fldc: l.fldc.get(),
        }
    }
}

/// The page laid out like `nvme rotational-media-info-log`: one
/// `name: value` line per field, under the JSON's names.
pub fn rotational_text(l: &RotationalMediaLog) -> String {
    let j = RotationalJson::from(l);
    format!(
        "endgid: {}\nnuma: {}\nnrs: {}\nspinc: {}\nfspinc: {}\nldc: {}\nfldc: {}\n",
        j.endgid, j.numa, j.nrs, j.spinc, j.fspinc, j.ldc, j.fldc
    )
}

/// `nvmeq rotational-media-info-log`.
pub fn rotational(ctx: &Ctx, a: &RotationalArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let req = LogReq {
        lsi: a.endgid,
        ..LogReq::new(LogId::ROTATIONAL_MEDIA, 0)
    };
    let piece = (dev.max_xfer() as usize & !3).clamp(4, 512);
    let raw = read_log(&mut dev, OP, &req, 512, piece)?;
    let l: RotationalMediaLog = parse(&raw, OP)?;
    output::emit(
        ctx.fmt,
        || rotational_text(&l),
        || RotationalJson::from(&l),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_json() {
        let mut l = RotationalMediaLog::default();
        l.endgid.set(1);
        l.numa.set(2);
        l.nrs.set(7200);
        l.spinc.set(10);
        l.fldc.set(u32::MAX);
        assert_eq!(
            rotational_text(&l),
            "endgid: 1\nnuma: 2\nnrs: 7200\nspinc: 10\nfspinc: 0\nldc: 0\nfldc: 4294967295\n"
        );
        let j = serde_json::to_value(RotationalJson::from(&l)).unwrap();
        assert_eq!(j["nrs"], 7200);
        assert_eq!(j["fldc"], u64::from(u32::MAX));
        let e = crate::schema::errors("rotational-media-info-log", &j);
        assert!(e.is_empty(), "{e:?}");
    }
}
