//! Directives: `dir-receive` and `dir-send`, with nvme-cli 2.13's options
//! (`-D -O -S -T -e -r -l -H -b -i`), the operations it accepts per type,
//! its default transfer sizes, its text and its JSON keys
//! (`json_directive_show`). nvme-cli's JSON puts the `-H` fields in arrays
//! it then adds keys to; nvmeq prints objects under the same keys.
//! `dir-send` changes controller state, so it needs `--namespace-id`.

use clap::Args;
use nvmeq_core::cmd::{Directive, DirectiveType, Numd};
use nvmeq_core::directive::{
    doper, open_streams, DirectiveMap, IdentifyDirectiveParams, StreamsParams,
};
use nvmeq_core::Data;
use serde::Serialize;
use serde_json::{json, Map, Value};
use zerocopy::FromBytes;

use super::io::read_input;
use super::{require_nsid, Ctx, DevArg};
use crate::error::{usage, Result};
use crate::num;
use crate::output::{self, cx, hexdump, Format};

/// `dir-receive`.
#[derive(Debug, Args)]
pub struct ReceiveArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (default 1, as nvme-cli).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid, default_value = "1")]
    pub nsid: u32,
    /// Bytes to receive (default: the operation's structure: 4096, 32, or 128 KiB for stream status).
    #[arg(short = 'l', long = "data-len", value_parser = num::u32, default_value = "0")]
    pub data_len: u32,
    /// Write the received data to stdout, raw.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
    /// Directive Type (DTYPE): 0 Identify, 1 Streams.
    #[arg(short = 'D', long = "dir-type", value_parser = num::u8, default_value = "0")]
    pub dtype: u8,
    /// Directive Specific (DSPEC).
    #[arg(short = 'S', long = "dir-spec", value_parser = num::u16, default_value = "0")]
    pub dspec: u16,
    /// Directive Operation (DOPER): Identify 1 Return Parameters; Streams 1
    /// Return Parameters, 2 Get Status, 3 Allocate Resources.
    #[arg(short = 'O', long = "dir-oper", value_parser = num::u8, default_value = "0")]
    pub doper: u8,
    /// Namespace Streams Requested (NSR) for Allocate Resources.
    #[arg(short = 'r', long = "req-resource", value_parser = num::u16, default_value = "0")]
    pub nsr: u16,
    /// Decode the returned structure.
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
}

/// `dir-send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required: the command changes the controller's directive state).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Bytes to send, read from --input-file or stdin (default none).
    #[arg(short = 'l', long = "data-len", value_parser = num::u32, default_value = "0")]
    pub data_len: u32,
    /// Directive Type (DTYPE): 0 Identify, 1 Streams.
    #[arg(short = 'D', long = "dir-type", value_parser = num::u8, default_value = "0")]
    pub dtype: u8,
    /// Target Directive Type (TDTYPE) to enable or disable (Identify, Enable Directive).
    #[arg(short = 'T', long = "target-dir", value_parser = num::u8, default_value = "0")]
    pub ttype: u8,
    /// Directive Specific (DSPEC): the stream identifier to release.
    #[arg(short = 'S', long = "dir-spec", value_parser = num::u16, default_value = "0")]
    pub dspec: u16,
    /// Directive Operation (DOPER): Identify 1 Enable Directive; Streams 1
    /// Release Identifier, 2 Release Resources.
    #[arg(short = 'O', long = "dir-oper", value_parser = num::u8, default_value = "0")]
    pub doper: u8,
    /// Enable Directive (ENDIR): 1 enable, 0 disable.
    #[arg(short = 'e', long = "endir", value_parser = num::u16, default_value = "1")]
    pub endir: u16,
    /// Accepted for nvme-cli compatibility (a send returns no structure).
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
    /// Write the sent data back raw instead of as a hex dump.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
    /// File with the data to send (default stdin).
    #[arg(short = 'i', long = "input-file")]
    pub input: Option<std::path::PathBuf>,
}

const STREAMS_STATUS_LEN: u32 = 128 * 1024;

/// The transfer of `data_len` bytes (0: none).
fn numd(op: &str, data_len: u32) -> Result<Option<Numd>> {
    match data_len {
        0 => Ok(None),
        n => Numd::from_bytes(n).map(Some).ok_or_else(|| {
            usage(format!(
                "{op}: --data-len {n} is not a multiple of 4 (directives transfer whole dwords)"
            ))
        }),
    }
}

/// The command `dir-receive` sends and the length it receives, checked as
/// nvme-cli checks them.
fn receive_cmd(a: &ReceiveArgs) -> Result<(Directive, u32)> {
    let t = DirectiveType(a.dtype);
    let (len, cdw12) = match (t, a.doper) {
        (DirectiveType::IDENTIFY, doper::IDENTIFY_RECV_PARAMS) => (4096, 0),
        (DirectiveType::IDENTIFY, o) => {
            return Err(usage(format!(
                "dir-receive: invalid directive operation {o:#x} for the Identify directive \
                 (1: Return Parameters)"
            )))
        }
        (DirectiveType::STREAMS, doper::STREAMS_RECV_PARAMS) => (32, 0),
        (DirectiveType::STREAMS, doper::STREAMS_RECV_STATUS) => (STREAMS_STATUS_LEN, 0),
        (DirectiveType::STREAMS, doper::STREAMS_RECV_ALLOCATE) => (0, a.nsr as u32),
        (DirectiveType::STREAMS, o) => {
            return Err(usage(format!(
                "dir-receive: invalid directive operation {o:#x} for the Streams directive \
                 (1: Return Parameters, 2: Get Status, 3: Allocate Resources)"
            )))
        }
        (t, _) => {
            return Err(usage(format!(
                "dir-receive: invalid directive type {:#x} (0: Identify, 1: Streams)",
                t.0
            )))
        }
    };
    let len = if a.data_len != 0 { a.data_len } else { len };
    let mut cmd = Directive::receive(a.nsid, t, a.doper)
        .dspec(a.dspec)
        .cdw12(cdw12);
    if let Some(n) = numd("dir-receive", len)? {
        cmd = cmd.data(n);
    }
    Ok((cmd, len))
}

/// The command `dir-send` sends, checked as nvme-cli checks it.
fn send_cmd(a: &SendArgs, nsid: u32) -> Result<Directive> {
    let t = DirectiveType(a.dtype);
    let cdw12 = match (t, a.doper) {
        (DirectiveType::IDENTIFY, doper::IDENTIFY_SEND_ENABLE) => {
            if a.ttype == 0 {
                return Err(usage(
                    "dir-send: Enable Directive needs the directive to enable or disable: \
                     --target-dir/-T (1: Streams, 2: Data Placement)",
                ));
            }
            (a.ttype as u32) << 8 | a.endir as u32
        }
        (DirectiveType::IDENTIFY, o) => {
            return Err(usage(format!(
                "dir-send: invalid directive operation {o:#x} for the Identify directive \
                 (1: Enable Directive)"
            )))
        }
        (
            DirectiveType::STREAMS,
            doper::STREAMS_SEND_RELEASE_ID | doper::STREAMS_SEND_RELEASE_RESOURCES,
        ) => 0,
        (DirectiveType::STREAMS, o) => {
            return Err(usage(format!(
                "dir-send: invalid directive operation {o:#x} for the Streams directive \
                 (1: Release Identifier, 2: Release Resources)"
            )))
        }
        (t, _) => {
            return Err(usage(format!(
                "dir-send: invalid directive type {:#x} (0: Identify, 1: Streams)",
                t.0
            )))
        }
    };
    let mut cmd = Directive::send(nsid, t, a.doper)
        .dspec(a.dspec)
        .cdw12(cdw12);
    if let Some(n) = numd("dir-send", a.data_len)? {
        cmd = cmd.data(n);
    }
    Ok(cmd)
}

/// What `-H` decodes, in nvme-cli's order and words.
fn fields_text(dtype: u8, oper: u8, result: u32, buf: &[u8]) -> String {
    let mut s = String::new();
    match (DirectiveType(dtype), oper) {
        (DirectiveType::IDENTIFY, doper::IDENTIFY_RECV_PARAMS) => {
            let p = identify_params(buf);
            for ((title, [yes, no], _), map) in IDENTIFY_ROWS.iter().zip(identify_maps(&p)) {
                s.push_str(&format!("\t{title}\n"));
                for (name, t) in DIRECTIVES {
                    let v = if map.has(t) { yes } else { no };
                    s.push_str(&format!("\t\t{name:<25}: {v}\n"));
                }
            }
        }
        (DirectiveType::STREAMS, doper::STREAMS_RECV_PARAMS) => {
            let p = streams_params(buf);
            for ((text, _), v) in streams_rows(&p) {
                s.push_str(&format!("\t{text}: {v}\n"));
            }
        }
        (DirectiveType::STREAMS, doper::STREAMS_RECV_STATUS) => {
            let (n, ids) = open_streams(buf);
            s.push_str(&format!("\tOpen Stream Count  : {n}\n"));
            for (i, id) in ids.enumerate() {
                s.push_str(&format!("\tStream Identifier {:06} : {id}\n", i + 1));
            }
        }
        (DirectiveType::STREAMS, doper::STREAMS_RECV_ALLOCATE) => {
            s.push_str(&format!(
                "\tNamespace Streams Allocated (NSA): {}\n",
                result & 0xffff
            ));
        }
        _ => {}
    }
    s
}

/// The directive types nvme-cli's `-H` names, with its words.
const DIRECTIVES: [(&str, DirectiveType); 3] = [
    ("Identify Directive", DirectiveType::IDENTIFY),
    ("Stream Directive", DirectiveType::STREAMS),
    ("Data Placement Directive", DirectiveType::DATA_PLACEMENT),
];

/// The Identify Directive Return Parameters rows: the title, the states'
/// words in the text (nvme-cli's lower case), and in JSON; each row shows
/// the map [`identify_maps`] gives at its place.
const IDENTIFY_ROWS: [(&str, [&str; 2], [&str; 2]); 3] = [
    (
        "Directive support",
        ["supported", "not supported"],
        ["Supported", "Not supported"],
    ),
    (
        "Directive enabled",
        ["enabled", "disabled"],
        ["Enabled", "Disabled"],
    ),
    (
        "Directive Persistent Across Controller Level Resets",
        ["enabled", "disabled"],
        ["Enabled", "Disabled"],
    ),
];

/// The maps of [`IDENTIFY_ROWS`], in its order.
fn identify_maps(p: &IdentifyDirectiveParams) -> [&DirectiveMap; 3] {
    [&p.supported, &p.enabled, &p.persistent]
}

/// The Identify Directive Return Parameters of `buf`, zero-padded.
fn identify_params(buf: &[u8]) -> IdentifyDirectiveParams {
    let mut b = [0u8; 4096];
    let n = buf.len().min(4096);
    b[..n].copy_from_slice(&buf[..n]);
    IdentifyDirectiveParams::read_from_bytes(&b).expect("4096 bytes")
}

fn streams_params(buf: &[u8]) -> StreamsParams {
    let mut b = [0u8; 32];
    let n = buf.len().min(32);
    b[..n].copy_from_slice(&buf[..n]);
    StreamsParams::read_from_bytes(&b).expect("32 bytes")
}

/// Streams Return Parameters as (text label, JSON key) and value.
fn streams_rows(p: &StreamsParams) -> [((&'static str, &'static str), u32); 8] {
    [
        (
            (
                "Max Streams Limit                          (MSL)",
                "Max Streams Limit (MSL)",
            ),
            p.msl.get().into(),
        ),
        (
            (
                "NVM Subsystem Streams Available           (NSSA)",
                "NVM Subsystem Streams Available (NSSA)",
            ),
            p.nssa.get().into(),
        ),
        (
            (
                "NVM Subsystem Streams Open                (NSSO)",
                "NVM Subsystem Streams Open (NSSO)",
            ),
            p.nsso.get().into(),
        ),
        (
            (
                "NVM Subsystem Stream Capability           (NSSC)",
                "NVM Subsystem Stream Capability (NSSC)",
            ),
            p.nssc.into(),
        ),
        (
            (
                "Stream Write Size (in unit of LB size)     (SWS)",
                "Stream Write Size (in unit of LB size) (SWS)",
            ),
            p.sws.get(),
        ),
        (
            (
                "Stream Granularity Size (in unit of SWS)   (SGS)",
                "Stream Granularity Size (in unit of SWS) (SGS)",
            ),
            p.sgs.get().into(),
        ),
        (
            (
                "Namespace Streams Allocated                (NSA)",
                "Namespace Streams Allocated (NSA)",
            ),
            p.nsa.get().into(),
        ),
        (
            (
                "Namespace Streams Open                     (NSO)",
                "Namespace Streams Open (NSO)",
            ),
            p.nso.get().into(),
        ),
    ]
}

/// The Identify Directive parameter rows: the title, then each
/// directive's state.
type StateRows = [(&'static str, [(&'static str, &'static str); 3]); 3];

/// What follows the header in a directive command's JSON.
#[derive(Debug)]
pub enum DirFields {
    /// No data, or an operation without decoded fields.
    None,
    /// The data rows, without `-H`.
    Data(Vec<String>),
    /// Identify, Return Parameters.
    Identify(StateRows),
    /// Streams, Return Parameters: the fields by nvme-cli's keys.
    Streams([(&'static str, u32); 8]),
    /// Streams, Get Status: the count, then each open stream.
    Status(u16, Vec<u16>),
    /// Streams, Allocate Resources: Namespace Streams Allocated.
    Allocate(u32),
}

fn fields_json(dtype: u8, oper: u8, result: u32, buf: &[u8]) -> DirFields {
    match (DirectiveType(dtype), oper) {
        (DirectiveType::IDENTIFY, doper::IDENTIFY_RECV_PARAMS) => {
            let p = identify_params(buf);
            let maps = identify_maps(&p);
            DirFields::Identify(std::array::from_fn(|i| {
                let (title, _, [yes, no]) = IDENTIFY_ROWS[i];
                let state = |t| if maps[i].has(t) { yes } else { no };
                (title, DIRECTIVES.map(|(name, t)| (name, state(t))))
            }))
        }
        (DirectiveType::STREAMS, doper::STREAMS_RECV_PARAMS) => {
            DirFields::Streams(streams_rows(&streams_params(buf)).map(|((_, key), v)| (key, v)))
        }
        (DirectiveType::STREAMS, doper::STREAMS_RECV_STATUS) => {
            let (n, ids) = open_streams(buf);
            DirFields::Status(n, ids.collect())
        }
        (DirectiveType::STREAMS, doper::STREAMS_RECV_ALLOCATE) => {
            DirFields::Allocate(result & 0xffff)
        }
        _ => DirFields::None,
    }
}

/// The JSON object of a directive command: `Type`, `Operation`, `spec`,
/// `NSID`, `Result` (C's `%#x`), then the fields or the data rows. Written
/// by hand: which keys follow depends on the operation, and open streams
/// are keyed by their index.
#[derive(Debug)]
pub struct DirectiveJson {
    header: [(&'static str, String); 5],
    fields: DirFields,
}

const NSA: &str = "Namespace Streams Allocated (NSA)";
const OPEN_STREAMS: &str = "Open Stream Count";

impl Serialize for DirectiveJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        for (k, v) in &self.header {
            m.serialize_entry(k, v)?;
        }
        match &self.fields {
            DirFields::None => {}
            DirFields::Data(rows) => m.serialize_entry("data", rows)?,
            DirFields::Identify(rows) => {
                for (title, states) in rows {
                    let o: Map<String, Value> = states
                        .iter()
                        .map(|(n, v)| ((*n).into(), json!(v)))
                        .collect();
                    m.serialize_entry(title, &o)?;
                }
            }
            DirFields::Streams(rows) => {
                for (k, v) in rows {
                    m.serialize_entry(k, v)?;
                }
            }
            DirFields::Status(n, ids) => {
                m.serialize_entry(OPEN_STREAMS, n)?;
                for (i, id) in ids.iter().enumerate() {
                    m.serialize_entry(&format!("Stream Identifier {:06}", i + 1), id)?;
                }
            }
            DirFields::Allocate(n) => m.serialize_entry(NSA, n)?,
        }
        m.end()
    }
}

impl schemars::JsonSchema for DirectiveJson {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Directive".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut props = Map::new();
        let header = ["Type", "Operation", "spec", "NSID", "Result"];
        for k in header {
            props.insert(
                k.into(),
                json!({"type": "string", "pattern": "^(0|0x[0-9a-f]+)$"}),
            );
        }
        props.insert(
            "data".into(),
            json!({"type": "array", "items": {"type": "string"}}),
        );
        let names: Vec<&str> = DIRECTIVES.iter().map(|(n, _)| *n).collect();
        for (title, _, [yes, no]) in IDENTIFY_ROWS {
            let states: Map<String, Value> = names
                .iter()
                .map(|n| ((*n).into(), json!({"enum": [yes, no]})))
                .collect();
            props.insert(
                title.into(),
                json!({"type": "object", "properties": states, "required": names,
                       "additionalProperties": false}),
            );
        }
        let uint = json!({"type": "integer", "minimum": 0});
        for ((_, key), _) in streams_rows(&streams_params(&[])) {
            props.insert(key.into(), uint.clone());
        }
        props.insert(OPEN_STREAMS.into(), uint.clone());
        props.insert(NSA.into(), uint.clone());
        schemars::json_schema!({
            "description": "The header, then what the operation returns: data rows, or with -H its decoded fields.",
            "type": "object",
            "properties": props,
            "required": header,
            "patternProperties": {"^Stream Identifier [0-9]{6}$": uint},
            "additionalProperties": false
        })
    }
}

fn show_json(a: (u8, u8, u16, u32), result: u32, buf: &[u8], human: bool) -> DirectiveJson {
    let (dtype, oper, spec, nsid) = a;
    let fields = if human {
        fields_json(dtype, oper, result, buf)
    } else if !buf.is_empty() {
        DirFields::Data(output::ascii_rows(buf))
    } else {
        DirFields::None
    };
    DirectiveJson {
        header: [
            ("Type", cx(dtype)),
            ("Operation", cx(oper)),
            ("spec", cx(spec)),
            ("NSID", cx(nsid)),
            ("Result", cx(result)),
        ],
        fields,
    }
}

fn receive_text(a: (u8, u8, u16, u32), result: u32, buf: &[u8], human: bool) -> String {
    let (dtype, oper, spec, nsid) = a;
    let mut s = format!(
        "dir-receive: type:{} operation:{} spec:{} nsid:{} result:{}\n",
        cx(dtype),
        cx(oper),
        cx(spec),
        cx(nsid),
        cx(result)
    );
    if human {
        s.push_str(&fields_text(dtype, oper, result, buf));
    } else if !buf.is_empty() {
        s.push_str(&hexdump(buf));
    }
    s
}

/// `nvmeq dir-receive`.
pub fn receive(ctx: &Ctx, a: &ReceiveArgs) -> Result<()> {
    let (cmd, len) = receive_cmd(a)?;
    let mut dev = ctx.open(&a.dev)?;
    let mut buf = vec![0u8; len as usize];
    let data = if len == 0 {
        Data::None
    } else {
        Data::FromDevice(&mut buf)
    };
    let c = dev.exec("Directive Receive", &cmd.build(), data)?;
    let result = c.dw0;
    let id = (a.dtype, a.doper, a.dspec, a.nsid);
    output::emit(
        ctx.fmt_raw(a.raw),
        || receive_text(id, result, &buf, a.human),
        || show_json(id, result, &buf, a.human),
        &buf,
    )
}

/// `nvmeq dir-send`.
pub fn send(ctx: &Ctx, a: &SendArgs) -> Result<()> {
    let nsid = require_nsid("dir-send", a.nsid)?;
    let cmd = send_cmd(a, nsid)?;
    let buf = if a.data_len == 0 {
        Vec::new()
    } else {
        read_input(a.input.as_deref(), a.data_len as usize)?
    };
    let mut dev = ctx.open(&a.dev)?;
    let data = if buf.is_empty() {
        Data::None
    } else {
        Data::ToDevice(&buf)
    };
    let c = dev.exec("Directive Send", &cmd.build(), data)?;
    let result = c.dw0;
    match ctx.fmt_raw(a.raw) {
        Format::Normal => {
            let mut s = format!(
                "dir-send: type {}, operation {}, spec_val {}, nsid {}, result {}\n",
                cx(a.dtype),
                cx(a.doper),
                cx(a.dspec),
                cx(nsid),
                cx(result)
            );
            if !buf.is_empty() {
                s.push_str(&hexdump(&buf));
            }
            output::text(&s)
        }
        Format::Json => output::json(&show_json(
            (a.dtype, a.doper, a.dspec, nsid),
            result,
            &buf,
            false,
        )),
        Format::Binary => output::raw(&buf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(sup: u8, en: u8, per: u8) -> Vec<u8> {
        let mut b = vec![0u8; 4096];
        (b[0], b[32], b[64]) = (sup, en, per);
        b
    }

    #[test]
    fn identify_fields() {
        let t = fields_text(0, 1, 0, &params(0b101, 0b001, 0b100));
        assert_eq!(
            t,
            "\tDirective support\n\
             \t\tIdentify Directive       : supported\n\
             \t\tStream Directive         : not supported\n\
             \t\tData Placement Directive : supported\n\
             \tDirective enabled\n\
             \t\tIdentify Directive       : enabled\n\
             \t\tStream Directive         : disabled\n\
             \t\tData Placement Directive : disabled\n\
             \tDirective Persistent Across Controller Level Resets\n\
             \t\tIdentify Directive       : disabled\n\
             \t\tStream Directive         : disabled\n\
             \t\tData Placement Directive : enabled\n"
        );
        let j =
            serde_json::to_value(show_json((0, 1, 0, 1), 0, &params(0b011, 1, 0), true)).unwrap();
        assert_eq!(j["Type"], "0");
        assert_eq!(j["Operation"], "0x1");
        assert_eq!(j["NSID"], "0x1");
        assert_eq!(j["Directive support"]["Stream Directive"], "Supported");
        assert_eq!(
            j["Directive support"]["Data Placement Directive"],
            "Not supported"
        );
        assert_eq!(j["Directive enabled"]["Stream Directive"], "Disabled");
        assert!(j.get("data").is_none());
        let e = crate::schema::errors("dir-receive", &j);
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn streams_fields() {
        let mut b = [0u8; 32];
        b[0] = 16;
        b[2] = 10;
        b[4] = 2;
        b[16] = 8;
        b[20] = 4;
        b[22] = 3;
        b[24] = 1;
        let t = fields_text(1, 1, 0, &b);
        assert!(t.starts_with("\tMax Streams Limit                          (MSL): 16\n"));
        assert!(t.contains("\tNVM Subsystem Streams Available           (NSSA): 10\n"));
        assert!(t.contains("\tStream Write Size (in unit of LB size)     (SWS): 8\n"));
        assert!(t.ends_with("\tNamespace Streams Open                     (NSO): 1\n"));
        let j = serde_json::to_value(show_json((1, 1, 0, 1), 0, &b, true)).unwrap();
        assert_eq!(j["NVM Subsystem Streams Open (NSSO)"], 2);
        assert_eq!(j["Stream Granularity Size (in unit of SWS) (SGS)"], 4);
        let e = crate::schema::errors("dir-receive", &j);
        assert!(e.is_empty(), "{e:?}");
        let st = [2u8, 0, 5, 0, 7, 0];
        let o = serde_json::to_string(&show_json((1, 2, 0, 1), 0, &st, true)).unwrap();
        assert!(
            o.ends_with(r#""Open Stream Count":2,"Stream Identifier 000001":5,"Stream Identifier 000002":7}"#),
            "{o}"
        );
        let j: Value = serde_json::from_str(&o).unwrap();
        let e = crate::schema::errors("dir-receive", &j);
        assert!(e.is_empty(), "{e:?}");

        let st = [2u8, 0, 5, 0, 7, 0];
        assert_eq!(
            fields_text(1, 2, 0, &st),
            "\tOpen Stream Count  : 2\n\tStream Identifier 000001 : 5\n\tStream Identifier 000002 : 7\n"
        );
        assert_eq!(
            fields_text(1, 3, 0x10004, &[]),
            "\tNamespace Streams Allocated (NSA): 4\n"
        );
        let j = serde_json::to_value(show_json((1, 3, 0, 1), 0x10004, &[], true)).unwrap();
        assert_eq!(j["Namespace Streams Allocated (NSA)"], 4);
        assert_eq!(j["Result"], "0x10004");
        let e = crate::schema::errors("dir-receive", &j);
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn raw_json_rows_and_text() {
        let j = serde_json::to_value(show_json((0, 1, 0, 1), 0, b"AB\x00cdefghijklmnopq", false))
            .unwrap();
        assert_eq!(j["data"], json!(["AB.cdefghijklmno", "pq"]));
        let e = crate::schema::errors("dir-receive", &j);
        assert!(e.is_empty(), "{e:?}");
        let t = receive_text((0, 1, 0, 1), 0, &[1, 2], false);
        assert!(t.starts_with("dir-receive: type:0 operation:0x1 spec:0 nsid:0x1 result:0\n     "));
    }

    fn recv(dtype: u8, doper: u8, len: u32) -> Result<(Directive, u32)> {
        receive_cmd(&ReceiveArgs {
            dev: DevArg {
                device: "ram:1M".into(),
            },
            nsid: 1,
            data_len: len,
            raw: false,
            dtype,
            dspec: 0,
            doper,
            nsr: 5,
            human: false,
        })
    }

    #[test]
    fn receive_sizes_and_refusals_follow_nvme_cli() {
        assert_eq!(recv(0, 1, 0).unwrap().1, 4096);
        assert_eq!(recv(1, 1, 0).unwrap().1, 32);
        assert_eq!(recv(1, 2, 0).unwrap().1, 128 * 1024);
        let (c, l) = recv(1, 3, 0).unwrap();
        assert_eq!((l, c.build().sqe.cdw12), (0, 5));
        assert_eq!(recv(0, 1, 64).unwrap().1, 64);
        for (t, o, l) in [(0, 2, 0), (1, 4, 0), (2, 1, 0), (0, 1, 6)] {
            assert!(recv(t, o, l).is_err(), "{t} {o} {l}");
        }
    }
}
