//! `get-reg`, `set-reg` and `show-regs` against nvme-cli 2.13's on
//! controller A, whose registers both tools read through the kernel's PCI
//! `resource0`: the same line and `-H` text for every register that does not
//! change between two reads, CSTS compared by meaning (RDY, CFS, SHST), the
//! same JSON values, the same `show-regs` values, a CC write of the value it
//! has printed alike and the controller still ready after. On VFIO, nvmeq
//! reads the same fixed registers from its own BAR0 mapping.

use super::super::{bind_to_nvme, bind_to_vfio, env, nvmeq_bin, outcome};
use super::property::text;

/// The registers QEMU 10 keeps fixed while the kernel drives the controller.
const STABLE: [(&str, &str); 24] = [
    ("0", "--cap"),
    ("0x8", "--vs"),
    ("0x14", "--cc"),
    ("0x20", "--nssr"),
    ("0x24", "--aqa"),
    ("0x28", "--asq"),
    ("0x30", "--acq"),
    ("0x38", "--cmbloc"),
    ("0x3c", "--cmbsz"),
    ("0x40", "--bpinfo"),
    ("0x44", "--bprsel"),
    ("0x50", "--cmbmsc"),
    ("0x58", "--cmbsts"),
    ("0x5c", "--cmbebs"),
    ("0x60", "--cmbswtp"),
    ("0x64", "--nssd"),
    ("0x68", "--crto"),
    ("0xe00", "--pmrcap"),
    ("0xe04", "--pmrctl"),
    ("0xe08", "--pmrsts"),
    ("0xe0c", "--pmrebs"),
    ("0xe10", "--pmrswtp"),
    ("0xe14", "--pmrmscl"),
    ("0xe18", "--pmrmscu"),
];

/// CSTS's meaning from a `-H` block: the lines that name RDY, CFS and SHST.
fn csts_meaning(t: &str) -> Vec<String> {
    t.lines()
        .filter(|l| l.contains("(RDY)") || l.contains("(CFS)") || l.contains("(SHST)"))
        .map(str::to_string)
        .collect()
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn registers_agree_with_nvme_cli_on_a() {
    let ctrl = env("NVMEQ_CTRL_A");
    let bin = nvmeq_bin();
    let mut failures = Vec::new();
    let (code, _, err) = outcome(&bin, &["get-reg", &ctrl, "--cap"]);
    if code != Some(0) && err.contains("CONFIG_IO_STRICT_DEVMEM") {
        // Both tools need the mapping; nvme-cli then falls back to Fabrics
        // properties, which a PCIe controller does not have.
        let (tcode, _, terr) = outcome("nvme", &["get-reg", &ctrl, "--cap"]);
        assert_ne!(
            tcode,
            Some(0),
            "nvme-cli read CAP where nvmeq could not: {terr}"
        );
        eprintln!(
            "SKIP: the kernel refuses to map {ctrl}'s resource0 ({}): boot with iomem=relaxed",
            err.trim()
        );
        return;
    }
    for (off, flag) in STABLE {
        for extra in [&[][..], &["-H"][..]] {
            let mut a = vec!["get-reg", ctrl.as_str(), "-O", off];
            a.extend(extra);
            let theirs = text("nvme", &a, &mut failures);
            let ours = text(&bin, &a, &mut failures);
            if theirs != ours {
                failures.push(format!(
                    "get-reg -O {off} {extra:?}: nvme-cli:\n{theirs:?}\nnvmeq:\n{ours:?}"
                ));
            }
            // The flag names the same register as the offset.
            let mut b = vec!["get-reg", ctrl.as_str(), flag];
            b.extend(extra);
            let by_flag = text(&bin, &b, &mut failures);
            if by_flag != ours {
                failures.push(format!("get-reg {flag} {extra:?}: {by_flag:?} vs {ours:?}"));
            }
        }
    }
    // CSTS by meaning: the controller is ready, not failed, not shut down.
    let args = ["get-reg", ctrl.as_str(), "--csts", "-H"];
    if let (Some(t), Some(o)) = (
        text("nvme", &args, &mut failures),
        text(&bin, &args, &mut failures),
    ) {
        let (tm, om) = (csts_meaning(&t), csts_meaning(&o));
        if tm != om || tm.len() != 3 || !om.iter().any(|l| l.contains("(RDY): Yes")) {
            failures.push(format!("CSTS: nvme-cli {tm:?}, nvmeq {om:?}"));
        }
    }
    // JSON: the same keys and values for several registers at once.
    let args = [
        "get-reg",
        ctrl.as_str(),
        "--cap",
        "--vs",
        "--cc",
        "--aqa",
        "-o",
        "json",
    ];
    let parse =
        |t: Option<String>| t.and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let theirs = parse(text("nvme", &args, &mut failures));
    let ours = parse(text(&bin, &args, &mut failures));
    if theirs.is_none() || theirs != ours {
        failures.push(format!(
            "get-reg -o json: nvme-cli {theirs:?}, nvmeq {ours:?}"
        ));
    }
    // show-regs on the kernel's controller: the values get-reg reads.
    let regs = parse(text(
        &bin,
        &["show-regs", &ctrl, "-o", "json"],
        &mut failures,
    ));
    let cc_line = text(&bin, &["get-reg", &ctrl, "--cc"], &mut failures).unwrap_or_default();
    let cc = cc_line
        .rsplit("value: ")
        .next()
        .and_then(|v| u64::from_str_radix(v.trim().trim_start_matches("0x"), 16).ok());
    match (&regs, cc) {
        (Some(r), Some(cc)) if r["cc"].as_u64() == Some(cc) && r["cap"].as_u64().is_some() => {}
        _ => failures.push(format!(
            "show-regs -o json {regs:?} vs get-reg --cc {cc_line}"
        )),
    }
    // A CC write of the value it has: the same line from both tools, and
    // the controller still ready after.
    if let Some(cc) = cc {
        let v = format!("{cc:#x}");
        let theirs = text("nvme", &["set-reg", &ctrl, "--cc", &v], &mut failures);
        let ours = text(
            &bin,
            &["set-reg", &ctrl, "--cc", &v, "--force"],
            &mut failures,
        );
        if theirs.is_none() || theirs != ours {
            failures.push(format!("set-reg --cc: nvme-cli {theirs:?}, nvmeq {ours:?}"));
        }
        let csts =
            text(&bin, &["get-reg", &ctrl, "--csts", "-H"], &mut failures).unwrap_or_default();
        if !csts.contains("(RDY): Yes") {
            failures.push(format!("after set-reg --cc: {csts}"));
        }
    }
    // ASQ holds a DMA address: nvmeq refuses to write it.
    let (code, _, err) = outcome(&bin, &["set-reg", &ctrl, "--asq", "0", "--force"]);
    if code != Some(2) || !err.contains("holds a host memory address") {
        failures.push(format!("set-reg --asq: {code:?} {err}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Gives the controller back to the nvme driver when dropped.
struct OnVfio(String);

impl Drop for OnVfio {
    fn drop(&mut self) {
        bind_to_nvme(&self.0);
    }
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn vfio_registers_match_the_kernel_mapping() {
    let (ctrl, pci) = (env("NVMEQ_CTRL_A"), env("NVMEQ_PCI_A"));
    let bin = nvmeq_bin();
    let mut failures = Vec::new();
    // The registers that stay the same whichever driver enabled the
    // controller: CAP, VS, CMBLOC, CMBSZ, BPINFO.
    let fixed = ["--cap", "--vs", "--cmbloc", "--cmbsz", "--bpinfo"];
    let mut args = vec!["get-reg", ctrl.as_str()];
    args.extend(fixed);
    let (code, kernel, err) = outcome(&bin, &args);
    if code != Some(0) && err.contains("CONFIG_IO_STRICT_DEVMEM") {
        eprintln!("SKIP: the kernel refuses to map {ctrl}'s resource0: boot with iomem=relaxed");
        return;
    }
    assert_eq!(code, Some(0), "kernel get-reg: {err}");
    let on = {
        bind_to_vfio(&pci);
        OnVfio(pci.clone())
    };
    let dev = format!("vfio:{pci}");
    let mut vargs = vec!["get-reg", dev.as_str()];
    vargs.extend(fixed);
    let (vcode, vfio, verr) = outcome(&bin, &vargs);
    if vcode != Some(0) || vfio != kernel {
        failures.push(format!(
            "vfio get-reg ({vcode:?} {verr}):\n{}\nkernel:\n{}",
            String::from_utf8_lossy(&vfio),
            String::from_utf8_lossy(&kernel)
        ));
    }
    // show-regs through VFIO: enabled, and CAP as get-reg read it.
    let (scode, sout, serr) = outcome(&bin, &["show-regs", &dev, "-o", "json"]);
    let j: Option<serde_json::Value> = serde_json::from_slice(&sout).ok();
    let cap_line = String::from_utf8_lossy(&kernel)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let cap = j.as_ref().and_then(|j| j["cap"].as_u64());
    if scode != Some(0) || !cap.is_some_and(|c| cap_line.ends_with(&format!("{c:#x}"))) {
        failures.push(format!(
            "vfio show-regs ({scode:?} {serr}): cap {cap:?} vs {cap_line}"
        ));
    }
    // set-reg refuses ASQ on VFIO too: the driver's admin queue lives there.
    let (c, _, e) = outcome(&bin, &["set-reg", &dev, "-O", "0x28", "-V", "0", "--force"]);
    if c != Some(2) || !e.contains("holds a host memory address") {
        failures.push(format!("vfio set-reg ASQ: {c:?} {e}"));
    }
    drop(on);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
