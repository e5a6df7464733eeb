//! `id-ctrl -H`: nvme-cli 2.13's layout of Identify Controller (its NVMe 2.1
//! fields among nvmeq's plain lines, which are 2.3's), each decoded field's
//! bits under its line, worded and indented as nvme-cli 2.13 prints them,
//! and the power states' vault and recovery times.

use nvmeq_core::identify::{IdentifyController, PowerStateDescriptor};

use super::bits::{bit, not, Bits};
use crate::output::cx;

/// A reserved range printed (when set) with one leading space, as nvme-cli
/// does for some fields, and the value computed by the caller.
fn reserved_1(b: &mut Bits, range: &str, x: u64) {
    if x != 0 {
        b.line(&format!(" [{range}] : {}\tReserved", cx(x)));
    }
}

/// A temperature in kelvins as nvme-cli's text prints it: `°C (K)`.
fn degrees(k: u16) -> String {
    format!("{} °C ({k} K)", i64::from(k) - 273)
}

/// CMIC.
pub fn cmic(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 4)
        .field(x, 3, 3, &format!("ANA {}supported", not(bit(v, 3), "not ")))
        .field(x, 2, 2, if bit(v, 2) { "SR-IOV" } else { "PCI" })
        .field(
            x,
            1,
            1,
            &format!("{} Controller", if bit(v, 1) { "Multi" } else { "Single" }),
        )
        .field(
            x,
            0,
            0,
            &format!("{} Port", if bit(v, 0) { "Multi" } else { "Single" }),
        );
    b.done()
}

/// OAES.
pub fn oaes(v: u32) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.sup(x, 31, "Discovery Log Change Notice");
    b.reserved(x, 30, 28);
    b.sup(x, 27, "Zone Descriptor Changed Notices");
    b.reserved(x, 26, 20);
    b.sup(x, 19, "Allocated Namespace Attribute Notices");
    b.reserved(x, 18, 18);
    b.sups(
        x,
        &[
            (17, "Reachability Groups Change Notices"),
            (16, "Temperature Threshold Hysteresis Recovery"),
            (15, "Normal NSS Shutdown Event"),
            (14, "Endurance Group Event Aggregate Log Page Change Notice"),
            (13, "LBA Status Information Notices"),
            (12, "Predictable Latency Event Aggregate Log Change Notices"),
            (11, "Asymmetric Namespace Access Change Notices"),
        ],
    );
    b.reserved(x, 10, 10);
    b.sups(
        x,
        &[
            (9, "Firmware Activation Notices"),
            (8, "Namespace Attribute Changed Event"),
        ],
    );
    b.reserved(x, 7, 0);
    b.done()
}

/// CTRATT.
pub fn ctratt(v: u32) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    reserved_1(&mut b, "31:20", x >> 20);
    b.sups(
        x,
        &[
            (19, "Flexible Data Placement"),
            (18, "Reservations and Host Identifier Interaction"),
            (17, "HMB Restrict Non-Operational Power State Access"),
            (16, "MDTS and Size Limits Exclude Metadata"),
            (15, "Extended LBA Formats"),
            (14, "Delete NVM Set"),
            (13, "Delete Endurance Group"),
            (12, "Variable Capacity Management"),
            (11, "Fixed Capacity Management"),
            (10, "Multi Domain Subsystem"),
            (9, "UUID List"),
            (8, "SQ Associations"),
            (7, "Namespace Granularity"),
            (6, "Traffic Based Keep Alive"),
            (5, "Predictable Latency Mode"),
            (4, "Endurance Groups"),
            (3, "Read Recovery Levels"),
            (2, "NVM Sets"),
            (1, "Non-Operational Power State Permissive"),
            (0, "128-bit Host Identifier"),
        ],
    );
    b.done()
}

/// BPCAP.
pub fn bpcap(v: u8) -> String {
    let x = u64::from(v);
    let rpmb = match v & 3 {
        0 => "Support Not Specified",
        1 => "Not Supported",
        2 => "Supported",
        // nvme-cli indexes past its three names here.
        _ => "Reserved",
    };
    let mut b = Bits::default();
    reserved_1(&mut b, "7:3", x >> 3);
    b.sup(x, 2, "Set Features Boot Partition Write Protection");
    b.field(
        x,
        1,
        0,
        &format!("RPMB Boot Partition Write Protection {rpmb}"),
    );
    b.done()
}

/// PLSI.
pub fn plsi(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    reserved_1(&mut b, "7:2", x >> 2);
    b.sups(
        x,
        &[
            (1, "Power Loss Signaling with Forced Quiescence"),
            (0, "Power Loss Signaling with Emergency Power Fail"),
        ],
    );
    b.done()
}

/// CRCAP.
pub fn crcap(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    reserved_1(&mut b, "7:2", x >> 2);
    b.field(
        x,
        1,
        1,
        &format!(
            "RGRPID {} while the namespace is attached to any controller.",
            if bit(v, 1) {
                "does not change"
            } else {
                "may change"
            }
        ),
    );
    b.sup(x, 0, "Reachability Reporting");
    b.done()
}

/// CNTRLTYPE: nvme-cli prints its reserved bits always, the whole byte as
/// the value of bits 1:0, and no blank line after.
pub fn cntrltype(v: u8) -> String {
    let kind = [
        "Controller type not reported",
        "I/O Controller",
        "Discovery Controller",
        "Administrative Controller",
    ][usize::from(v & 3)];
    let mut b = Bits::default();
    b.line(&format!("  [7:2] : {}\tReserved", cx(v >> 2)))
        .line(&format!("  [1:0] : {}\t{kind}", cx(v)));
    b.lines()
}

/// NVMSR (nvme-cli's reserved value is `(v >> 2) & 0xfc`).
pub fn nvmsr(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    reserved_1(&mut b, "7:2", (x >> 2) & 0xfc);
    b.field(
        x,
        1,
        1,
        &format!(
            "NVM subsystem {}part of an Enclosure",
            not(bit(v, 1), "Not ")
        ),
    )
    .field(
        x,
        0,
        0,
        &format!(
            "NVM subsystem {}part of a Storage Device",
            not(bit(v, 0), "Not ")
        ),
    );
    b.done()
}

/// VWCI (nvme-cli's bits 6:0 show `v & 0xfe`).
pub fn vwci(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.field(
        x,
        7,
        7,
        &format!(
            "VPD Write Cycles Remaining field is {}valid.",
            not(bit(v, 7), "Not ")
        ),
    )
    .line(&format!(
        "  [6:0] : {}\tVPD Write Cycles Remaining",
        cx(x & 0xfe)
    ));
    b.done()
}

/// MEC (reserved value as NVMSR's).
pub fn mec(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    reserved_1(&mut b, "7:2", (x >> 2) & 0xfc);
    for (n, port) in [(1, "a PCIe port"), (0, "an SMBus/I2C port")] {
        b.field(
            x,
            n,
            n,
            &format!(
                "NVM subsystem {}contains a Management Endpoint on {port}",
                not(bit(v, n), "Not ")
            ),
        );
    }
    b.done()
}

/// OACS.
pub fn oacs(v: u16) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    reserved_1(&mut b, "15:12", x >> 12);
    b.sups(
        x,
        &[
            (11, "Host Managed Live Migration"),
            (10, "Lockdown Command and Feature"),
            (9, "Get LBA Status Capability"),
            (8, "Doorbell Buffer Config"),
            (7, "Virtualization Management"),
            (6, "NVMe-MI Send and Receive"),
            (5, "Directives"),
            (4, "Device Self-test"),
            (3, "NS Management and Attachment"),
            (2, "FW Commit and Download"),
            (1, "Format NVM"),
            (0, "Security Send and Receive"),
        ],
    );
    b.done()
}

/// FRMW.
pub fn frmw(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 6);
    b.sups(
        x,
        &[
            (5, "Multiple FW or Boot Update Detection"),
            (4, "Firmware Activate Without Reset"),
        ],
    );
    b.field(x, 3, 1, "Number of Firmware Slots").field(
        x,
        0,
        0,
        &format!(
            "Firmware Slot 1 Read{}",
            if bit(v, 0) { "-Only" } else { "/Write" }
        ),
    );
    b.done()
}

/// LPA.
pub fn lpa(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 7);
    b.sups(
        x,
        &[
            (6, "Telemetry Log Data Area 4"),
            (5, "LID 0x0, Scope of each command in LID 0x5, 0x12, 0x13"),
            (4, "Persistent Event log"),
            (3, "Telemetry host/controller initiated log page"),
            (2, "Extended data for Get Log Page"),
            (1, "Command Effects Log Page"),
            (0, "SMART/Health Log Page per NS"),
        ],
    );
    b.done()
}

/// A zero-based count, ELPE or NPSS.
fn zero_based(v: u8, what: &str) -> String {
    format!("  [7:0] : {v} (0's based)\t{what}\n\n")
}

/// AVSCC and ICSVSCC.
fn vscc(v: u8, whose: &str) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 1).field(
        x,
        0,
        0,
        &format!(
            "{whose} Vendor Specific Commands uses {} Format",
            if bit(v, 0) { "NVMe" } else { "Vendor Specific" }
        ),
    );
    b.done()
}

/// APSTA.
pub fn apsta(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 1);
    b.sup(x, 0, "Autonomous Power State Transitions");
    b.done()
}

/// WCTEMP, CCTEMP, MNTMT, MXTMT.
fn temperature(k: u16, what: &str) -> String {
    format!(" [15:0] : {}\t{what}\n\n", degrees(k))
}

/// TNVMCAP and UNVMCAP.
fn capacity(v: u128, what: &str) -> String {
    format!("[127:0] : {v}\n\t{what}\n\n")
}

/// RPMBS.
pub fn rpmbs(v: u32) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.line(&format!(" [31:24]: {}\tAccess Size", cx(x >> 24)))
        .line(&format!(" [23:16]: {}\tTotal Size", cx((x >> 16) & 0xff)));
    reserved_1(&mut b, "15:6", (x >> 6) & 0x3ff);
    b.field(x, 5, 3, "Authentication Method")
        .field(x, 2, 0, "Number of RPMB Units");
    b.done()
}

/// DSTO.
pub fn dsto(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 2);
    b.sup(x, 1, "Host-Initiated Refresh capability");
    b.field(
        x,
        0,
        0,
        &format!(
            "NVM subsystem supports {} at a time",
            if bit(v, 0) {
                "only one device self-test operation in progress"
            } else {
                "one device self-test operation per controller"
            }
        ),
    );
    b.done()
}

/// HCTMA.
pub fn hctma(v: u16) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    reserved_1(&mut b, "15:1", x >> 1);
    b.sup(x, 0, "Host Controlled Thermal Management");
    b.done()
}

/// SANICAP.
pub fn sanicap(v: u32) -> String {
    let x = u64::from(v);
    let nodmmas = [
        "Additional media modification after sanitize operation completes successfully is not defined",
        "Media is not additionally modified after sanitize operation completes successfully",
        "Media is additionally modified after sanitize operation completes successfully",
        "Reserved",
    ][(v >> 30) as usize];
    let mut b = Bits::default();
    b.field(x, 31, 30, nodmmas).field(
        x,
        29,
        29,
        // nvme-cli says Not Supported when the bit (NDI) is set.
        &format!(
            "No-Deallocate After Sanitize bit in Sanitize command {}Supported",
            if bit(v, 29) { "Not " } else { "" }
        ),
    );
    b.reserved(x, 28, 4);
    b.sups(
        x,
        &[
            (
                3,
                "Media Verification and Post-Verification Deallocation state",
            ),
            (2, "Overwrite Sanitize Operation"),
            (1, "Block Erase Sanitize Operation"),
            (0, "Crypto Erase Sanitize Operation"),
        ],
    );
    b.done()
}

/// ANACAP.
pub fn anacap(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.sup(x, 7, "Non-zero group ID");
    b.field(
        x,
        6,
        6,
        &format!(
            "Group ID does {}change",
            if bit(v, 6) { "not " } else { "" }
        ),
    );
    reserved_1(&mut b, "5:5", (x >> 5) & 1);
    b.sups(
        x,
        &[
            (4, "ANA Change state"),
            (3, "ANA Persistent Loss state"),
            (2, "ANA Inaccessible state"),
            (1, "ANA Non-optimized state"),
            (0, "ANA Optimized state"),
        ],
    );
    b.done()
}

/// KPIOC.
pub fn kpioc(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    reserved_1(&mut b, "7:2", x >> 2);
    b.field(
        x,
        1,
        1,
        &format!(
            "Key Per I/O capability {} to all namespaces",
            if bit(v, 1) { "applies" } else { "Not apply" }
        ),
    );
    b.sup(x, 0, "Key Per I/O capability");
    b.done()
}

/// TMPTHHA.
pub fn tmpthha(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 3)
        .field(x, 2, 0, "Temperature Threshold Maximum Hysteresis");
    b.done()
}

/// SQES and CQES.
fn entry_sizes(v: u8, q: &str) -> String {
    let (max, min) = (v >> 4, v & 0xf);
    let mut b = Bits::default();
    b.field(
        v.into(),
        7,
        4,
        &format!("Max {q} Entry Size ({})", 1u32 << max),
    )
    .field(
        v.into(),
        3,
        0,
        &format!("Min {q} Entry Size ({})", 1u32 << min),
    );
    b.done()
}

/// ONCS.
pub fn oncs(v: u16) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 15, 13);
    b.sups(
        x,
        &[
            (12, "Namespace Zeroes"),
            (11, "Maximum Write Zeroes with Deallocate"),
            (10, "All Fast Copy"),
            (9, "Copy Single Atomicity"),
            (8, "Copy"),
            (7, "Verify"),
            (6, "Timestamp"),
            (5, "Reservations"),
            (4, "Save and Select"),
            (3, "Write Zeroes"),
            (2, "Data Set Management"),
            (1, "Write Uncorrectable"),
            (0, "Compare"),
        ],
    );
    b.done()
}

/// FUSES (nvme-cli's reserved value is bits 7:1, labelled 15:1).
pub fn fuses(v: u16) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    reserved_1(&mut b, "15:1", (x & 0xfe) >> 1);
    b.sup(x, 0, "Fused Compare and Write");
    b.done()
}

/// FNA.
pub fn fna(v: u8) -> String {
    let x = u64::from(v);
    let all = |n| if bit(v, n) { "All" } else { "Single" };
    let mut b = Bits::default();
    b.reserved(x, 7, 4)
        .field(
            x,
            3,
            3,
            // nvme-cli says Not Supported when the bit is set.
            &format!(
                "Format NVM Broadcast NSID (FFFFFFFFh) {}Supported",
                if bit(v, 3) { "Not " } else { "" }
            ),
        )
        .field(
            x,
            2,
            2,
            &format!(
                "Crypto Erase {}Supported as part of Secure Erase",
                not(bit(v, 2), "Not ")
            ),
        )
        .field(
            x,
            1,
            1,
            &format!("Crypto Erase Applies to {} Namespace(s)", all(1)),
        )
        .field(
            x,
            0,
            0,
            &format!("Format Applies to {} Namespace(s)", all(0)),
        );
    b.done()
}

/// VWC.
pub fn vwc(v: u8) -> String {
    let x = u64::from(v);
    let flush = [
        "Support for the NSID field set to FFFFFFFFh is not indicated",
        "Reserved",
        "The Flush command does not support NSID set to FFFFFFFFh",
        "The Flush command supports NSID set to FFFFFFFFh",
    ][usize::from((v >> 1) & 3)];
    let mut b = Bits::default();
    b.reserved(x, 7, 3).field(x, 2, 1, flush).field(
        x,
        0,
        0,
        &format!("Volatile Write Cache {}Present", not(bit(v, 0), "Not ")),
    );
    b.done()
}

/// NWPC.
pub fn nwpc(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 3);
    b.sups(
        x,
        &[
            (2, "Permanent Write Protect"),
            (1, "Write Protect Until Power Supply"),
            (0, "No Write Protect and Write Protect Namespace"),
        ],
    );
    b.done()
}

/// OCFS.
pub fn ocfs(v: u16) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 15, 4);
    for n in (0..4).rev() {
        b.sup(x, n, &format!("Controller Copy Format {n:x}h"));
    }
    b.done()
}

/// SGLS: the capability bits only when SGLs are supported (or the bit is
/// set), in nvme-cli's mixed indents.
pub fn sgls(v: u32) -> String {
    let x = u64::from(v);
    let sglsp = v & 3;
    let mut b = Bits::default();
    if x >> 22 != 0 {
        b.line(&format!(" [31:22]: {}\tReserved", cx(x >> 22)));
    }
    for (n, what) in [
        (21, "Transport SGL Data Block Descriptor "),
        (20, "Address Offsets "),
        (19, "Metadata Pointer Containing SGL Descriptor is "),
        (18, "SGL Length Larger than Buffer "),
        (17, "Byte-Aligned Contig. MD Buffer "),
        (16, "SGL Bit-Bucket "),
    ] {
        if sglsp != 0 || bit(v, n) {
            b.line(&format!(
                " [{n}:{n}]: {}\t{what}{}Supported",
                cx((x >> n) & 1),
                not(bit(v, n), "Not ")
            ));
        }
    }
    b.line(&format!(
        " [15:8] : {}\tSGL Descriptor Threshold",
        cx((x >> 8) & 0xff)
    ));
    reserved_1(&mut b, "7:3", (x >> 3) & 0x1f);
    if sglsp != 0 || bit(v, 2) {
        b.sup(x, 2, "Keyed SGL Data Block descriptor");
    }
    match sglsp {
        3 => b.field(x, 1, 0, "Reserved"),
        2 => b.field(
            x,
            1,
            0,
            "Scatter-Gather Lists Supported. Dword alignment required.",
        ),
        1 => b.field(
            x,
            1,
            0,
            "Scatter-Gather Lists Supported. No Dword alignment required.",
        ),
        _ => b.line(" [1:0]  : 0\tScatter-Gather Lists Not Supported"),
    };
    b.done()
}

/// TRATTR.
pub fn trattr(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    reserved_1(&mut b, "7:3", x >> 3);
    b.field(x, 2, 2, "Memory Range Tracking Length Limit");
    b.sups(
        x,
        &[
            (1, "Tracking User Data Changes"),
            (0, "Track Host Memory Changes"),
        ],
    );
    b.done()
}

/// FCATT.
pub fn fcatt(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 1).field(
        x,
        0,
        0,
        &format!(
            "{} Controller Model",
            if bit(v, 0) { "Static" } else { "Dynamic" }
        ),
    );
    b.done()
}

/// OFCS (nvme-cli's wording has two spaces when supported).
pub fn ofcs(v: u16) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 15, 1).field(
        x,
        0,
        0,
        &format!(
            "Disconnect command {} Supported",
            if bit(v, 0) { "" } else { "Not" }
        ),
    );
    b.done()
}

/// A time scale's name, of the power state's EPFRT, FQVT and EPFVT.
fn time_scale(ts: u8) -> &'static str {
    match ts {
        0 => "1 microsecond",
        1 => "10 microseconds",
        2 => "100 microseconds",
        3 => "1 millisecond",
        4 => "10 milliseconds",
        5 => "100 milliseconds",
        6 => "1 second",
        7 => "10 seconds",
        8 => "100 seconds",
        9 => "1,000 seconds",
        0xa => "10,000 seconds",
        0xb => "100,000 seconds",
        0xc => "1,000,000 seconds",
        _ => "Reserved",
    }
}

/// nvme-cli 2.13's three time lines under each power state.
fn psd_times(p: &PowerStateDescriptor) -> String {
    let mut s = String::new();
    for (what, t, ts) in [
        (
            "emergency power fail recovery time",
            p.epfrt,
            p.epfr_fqv_ts & 0xf,
        ),
        ("forced quiescence vault time", p.fqvt, p.epfr_fqv_ts >> 4),
        ("emergency power fail vault time", p.epfvt, p.epfvts & 0xf),
    ] {
        let value = match t {
            0 => "-".to_string(),
            1..=99 => format!("{t} (unit: {})", time_scale(ts)),
            _ => "reserved".to_string(),
        };
        s += &format!("{:>w$}: {value}\n", what, w = 12 + what.len());
    }
    s
}

/// A plain `key       : value` line of the layout.
fn kv(k: &str, v: impl std::fmt::Display) -> String {
    format!("{k:<10}: {v}\n")
}

/// `id-ctrl -H`: nvmeq's plain layout with nvme-cli 2.13's further fields
/// where 2.13 prints them, and each decoded field's bits under its line.
pub fn id_ctrl(plain: &str, c: &IdentifyController) -> String {
    let mut out = String::new();
    let mut ps = 0usize;
    for line in plain.split_inclusive('\n') {
        let key = line.split(':').next().unwrap_or("").trim();
        let after = match key {
            "cmic" => cmic(c.cmic),
            "oaes" => oaes(c.oaes),
            "ctratt" => ctratt(c.ctratt),
            "rrls" => {
                kv("bpcap", cx(c.bpcap))
                    + &bpcap(c.bpcap)
                    + &kv("nssl", cx(c.nssl))
                    + &kv("plsi", c.plsi)
                    + &plsi(c.plsi)
            }
            "cntrltype" => cntrltype(c.cntrltype),
            "crdt3" => kv("crcap", c.crcap) + &crcap(c.crcap),
            "nvmsr" => nvmsr(c.nvmsr),
            "vwci" => vwci(c.vwci),
            "mec" => mec(c.mec),
            "oacs" => oacs(c.oacs),
            "frmw" => frmw(c.frmw),
            "lpa" => lpa(c.lpa),
            "elpe" => zero_based(c.elpe_z, "Error Log Page Entries (ELPE)"),
            "npss" => zero_based(c.npss_z, "Number of Power States Support (NPSS)"),
            "avscc" => vscc(c.avscc, "Admin"),
            "apsta" => apsta(c.apsta),
            "wctemp" => temperature(c.wctemp, "Warning Composite Temperature Threshold (WCTEMP)"),
            "cctemp" => temperature(
                c.cctemp,
                "Critical Composite Temperature Threshold (CCTEMP)",
            ),
            "tnvmcap" => capacity(c.tnvmcap.get(), "Total NVM Capacity (TNVMCAP)"),
            "unvmcap" => capacity(c.unvmcap.get(), "Unallocated NVM Capacity (UNVMCAP)"),
            "rpmbs" => rpmbs(c.rpmbs),
            "dsto" => dsto(c.dsto),
            "hctma" => hctma(c.hctma),
            "mntmt" => temperature(c.mntmt, "Minimum Thermal Management Temperature (MNTMT)"),
            "mxtmt" => temperature(c.mxtmt, "Maximum Thermal Management Temperature (MXTMT)"),
            "sanicap" => sanicap(c.sanicap),
            "anacap" => anacap(c.anacap),
            "domainid" => kv("kpioc", c.kpioc) + &kpioc(c.kpioc) + &kv("mptfawr", c.mptfawr),
            "megcap" => kv("tmpthha", cx(c.tmpthha)) + &tmpthha(c.tmpthha) + &kv("cqt", c.cqt),
            "sqes" => entry_sizes(c.sqes, "SQ"),
            "cqes" => entry_sizes(c.cqes, "CQ"),
            "oncs" => oncs(c.oncs),
            "fuses" => fuses(c.fuses),
            "fna" => fna(c.fna),
            "vwc" => vwc(c.vwc),
            "icsvscc" => vscc(c.icsvscc, "NVM"),
            "nwpc" => nwpc(c.nwpc),
            "ocfs" => ocfs(c.ocfs),
            "sgls" => sgls(c.sgls),
            "maxcna" => {
                kv("oaqd", c.oaqd)
                    + &kv("rhiri", c.rhiri)
                    + &kv("hirt", c.hirt)
                    + &kv("cmmrtd", c.cmmrtd)
                    + &kv("nmmrtd", c.nmmrtd)
                    + &kv("minmrtg", c.minmrtg)
                    + &kv("maxmrtg", c.maxmrtg)
                    + &kv("trattr", c.trattr)
                    + &trattr(c.trattr)
                    + &kv("mcudmq", c.mcudmq)
                    + &kv("mnsudmq", c.mnsudmq)
                    + &kv("mcmr", c.mcmr)
                    + &kv("nmcmr", c.nmcmr)
                    + &kv("mcdqpc", c.mcdqpc)
            }
            "fcatt" => fcatt(c.fcatt),
            "ofcs" => ofcs(c.ofcs),
            "active_power_workload" if ps <= usize::from(c.npss_z) => {
                ps += 1;
                psd_times(&c.psd[ps - 1])
            }
            _ => String::new(),
        };
        out += line;
        out += &after;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromZeros;

    #[test]
    fn fields_decode_as_nvme_cli() {
        assert_eq!(
            cmic(0x0a),
            "  [3:3] : 0x1\tANA supported\n  [2:2] : 0\tPCI\n  \
             [1:1] : 0x1\tMulti Controller\n  [0:0] : 0\tSingle Port\n\n"
        );
        assert_eq!(
            frmw(0x17),
            "  [5:5] : 0\tMultiple FW or Boot Update Detection Not Supported\n  \
             [4:4] : 0x1\tFirmware Activate Without Reset Supported\n  \
             [3:1] : 0x3\tNumber of Firmware Slots\n  \
             [0:0] : 0x1\tFirmware Slot 1 Read-Only\n\n"
        );
        assert_eq!(
            entry_sizes(0x66, "SQ"),
            "  [7:4] : 0x6\tMax SQ Entry Size (64)\n  [3:0] : 0x6\tMin SQ Entry Size (64)\n\n"
        );
        assert_eq!(
            vwc(0x07),
            "  [2:1] : 0x3\tThe Flush command supports NSID set to FFFFFFFFh\n  \
             [0:0] : 0x1\tVolatile Write Cache Present\n\n"
        );
        assert_eq!(
            cntrltype(1),
            "  [7:2] : 0\tReserved\n  [1:0] : 0x1\tI/O Controller\n"
        );
        assert_eq!(
            temperature(343, "Warning Composite Temperature Threshold (WCTEMP)"),
            " [15:0] : 70 °C (343 K)\tWarning Composite Temperature Threshold (WCTEMP)\n\n"
        );
        assert_eq!(
            sgls(0),
            " [15:8] : 0\tSGL Descriptor Threshold\n [1:0]  : 0\tScatter-Gather Lists Not Supported\n\n"
        );
        let s = sgls(0x0010_0001);
        assert!(
            s.starts_with(
                " [21:21]: 0\tTransport SGL Data Block Descriptor Not Supported\n \
                           [20:20]: 0x1\tAddress Offsets Supported\n"
            ),
            "{s}"
        );
        assert!(
            s.ends_with(
                "  [2:2] : 0\tKeyed SGL Data Block descriptor Not Supported\n  \
                 [1:0] : 0x1\tScatter-Gather Lists Supported. No Dword alignment required.\n\n"
            ),
            "{s}"
        );
        assert_eq!(
            rpmbs(0x0102_0009),
            " [31:24]: 0x1\tAccess Size\n [23:16]: 0x2\tTotal Size\n  \
             [5:3] : 0x1\tAuthentication Method\n  [2:0] : 0x1\tNumber of RPMB Units\n\n"
        );
        assert!(oaes(0x8000_0100).starts_with(
            "  [31:31] : 0x1\tDiscovery Log Change Notice Supported\n  \
             [27:27] : 0\tZone Descriptor Changed Notices Not Supported\n"
        ));
        assert!(ctratt(0x0010_0000).starts_with(" [31:20] : 0x1\tReserved\n  [19:19] : 0\t"));
        assert!(ofcs(1).ends_with("  [0:0] : 0x1\tDisconnect command  Supported\n\n"));
        assert!(ocfs(1).contains("  [3:3] : 0\tController Copy Format 3h Not Supported\n"));
        assert!(sanicap(0x2000_0000).contains(
            "  [29:29] : 0x1\tNo-Deallocate After Sanitize bit in Sanitize command Not Supported\n"
        ));
    }

    #[test]
    fn layout_has_the_newer_fields_and_power_state_times() {
        let mut c = IdentifyController::new_zeroed();
        c.bpcap = 2;
        c.psd[0].epfrt = 5;
        c.psd[0].epfr_fqv_ts = 0x03;
        let plain = super::super::id_ctrl_text(&c, false);
        let h = id_ctrl(&plain, &c);
        assert!(h.contains(
            "rrls      : 0\nbpcap     : 0x2\n  [2:2] : 0\tSet Features Boot Partition Write \
             Protection Not Supported\n  [1:0] : 0x2\tRPMB Boot Partition Write Protection \
             Supported\n\nnssl      : 0\nplsi      : 0\n"
        ));
        assert!(h.contains("crdt3     : 0\ncrcap     : 0\n  [1:1] : 0\tRGRPID may change"));
        assert!(h.contains("domainid  : 0\nkpioc     : 0\n"));
        assert!(h.contains("\nmptfawr   : 0\nmegcap    : 0\ntmpthha   : 0\n  [2:0] : 0\t"));
        assert!(h.contains("\ncqt       : 0\nsqes      : 0\n"));
        assert!(h.contains("maxcna    : 0\noaqd      : 0\nrhiri     : 0\n"));
        assert!(h.contains("\nmcdqpc    : 0\nsubnqn    : \n"));
        assert!(h.ends_with(
            "            active_power_workload:-\n            \
             emergency power fail recovery time: 5 (unit: 1 millisecond)\n            \
             forced quiescence vault time: -\n            \
             emergency power fail vault time: -\n"
        ));
    }
}
