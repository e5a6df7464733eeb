//! The `-H` decoding of one controller register or property, laid out like
//! nvme-cli 2.13's (`get-property -H`, `get-reg -H`): the name and value,
//! then one tab-indented line per field.

use crate::output::cx;
use nvmeq_core::regs::{self, Cap, Cc, Csts};

fn on(b: bool, yes: &'static str, no: &'static str) -> &'static str {
    if b {
        yes
    } else {
        no
    }
}

fn cap(c: Cap) -> String {
    let sup = |b| on(b, "Supported", "Not Supported");
    let mut s = String::new();
    s += &format!(
        "\tNVM Subsystem Shutdown Enhancements Supported (NSSES): {}\n",
        sup(c.nsses())
    );
    s += &format!(
        "\tController Ready With Media Support (CRWMS): {}\n",
        sup(c.crms() & 1 != 0)
    );
    s += &format!(
        "\tController Ready Independent of Media Support (CRIMS): {}\n",
        sup(c.crms() & 2 != 0)
    );
    s += &format!(
        "\tNVM Subsystem Shutdown Supported   (NSSS): {}\n",
        sup(c.nsss())
    );
    s += &format!(
        "\tController Memory Buffer Supported (CMBS): The Controller Memory Buffer is {}\n",
        sup(c.cmbs())
    );
    s += &format!(
        "\tPersistent Memory Region Supported (PMRS): The Persistent Memory Region is {}\n",
        sup(c.pmrs())
    );
    s += &format!(
        "\tMemory Page Size Maximum         (MPSMAX): {} bytes\n",
        1u64 << (12 + c.mpsmax())
    );
    s += &format!(
        "\tMemory Page Size Minimum         (MPSMIN): {} bytes\n",
        1u64 << (12 + c.mpsmin())
    );
    s += &format!(
        "\tController Power Scope              (CPS): {}\n",
        match c.cps() {
            0 => "Not Reported",
            1 => "Controller scope",
            2 => "Domain scope",
            _ => "NVM subsystem scope",
        }
    );
    s += &format!(
        "\tBoot Partition Support              (BPS): {}\n",
        on(c.bps(), "Yes", "No")
    );
    s += &format!(
        "\tCommand Sets Supported              (CSS): NVM command set is {}\n",
        sup(c.css() & Cap::CSS_NVM != 0)
    );
    s += &format!(
        "\t                                           One or more I/O Command Sets are {}\n",
        sup(c.css() & Cap::CSS_IO_SETS != 0)
    );
    s += &format!(
        "\t                                           {}\n",
        on(
            c.css() & Cap::CSS_ADMIN_ONLY != 0,
            "Only Admin Command Set Supported",
            "I/O Command Set is Supported"
        )
    );
    s += &format!(
        "\tNVM Subsystem Reset Supported     (NSSRS): {}\n",
        on(c.nssrs(), "Yes", "No")
    );
    s += &format!(
        "\tDoorbell Stride                   (DSTRD): {} bytes\n",
        1u64 << (2 + c.dstrd())
    );
    s += &format!(
        "\tTimeout                              (TO): {} ms\n",
        c.to() as u32 * 500
    );
    s += &format!(
        "\tArbitration Mechanism Supported     (AMS): Weighted Round Robin with Urgent \
         Priority Class is {}\n",
        on(c.ams() & 1 != 0, "Supported", "Not supported")
    );
    s += &format!(
        "\tContiguous Queues Required          (CQR): {}\n",
        on(c.cqr(), "Yes", "No")
    );
    s += &format!(
        "\tMaximum Queue Entries Supported    (MQES): {}\n\n",
        c.mqes_z() as u32 + 1
    );
    s
}

fn cc(c: Cc) -> String {
    let mut s = String::new();
    s += &format!(
        "\tController Ready Independent of Media Enable (CRIME): {}\n",
        on(c.crime(), "Enabled", "Disabled")
    );
    s += &format!(
        "\tI/O Completion Queue Entry Size (IOCQES): {} bytes\n",
        1u64 << c.iocqes()
    );
    s += &format!(
        "\tI/O Submission Queue Entry Size (IOSQES): {} bytes\n",
        1u64 << c.iosqes()
    );
    s += &format!(
        "\tShutdown Notification              (SHN): {}\n",
        match c.shn() {
            0 => "No notification; no effect",
            Cc::SHN_NORMAL => "Normal shutdown notification",
            Cc::SHN_ABRUPT => "Abrupt shutdown notification",
            _ => "Reserved",
        }
    );
    s += &format!(
        "\tArbitration Mechanism Selected     (AMS): {}\n",
        match c.ams() {
            0 => "Round Robin",
            1 => "Weighted Round Robin with Urgent Priority Class",
            7 => "Vendor Specific",
            _ => "Reserved",
        }
    );
    s += &format!(
        "\tMemory Page Size                   (MPS): {} bytes\n",
        c.mps_bytes()
    );
    s += &format!(
        "\tI/O Command Set Selected           (CSS): {}\n",
        match c.css() {
            Cc::CSS_NVM => "NVM Command Set",
            Cc::CSS_ALL_IO => "All supported I/O Command Sets",
            Cc::CSS_ADMIN_ONLY => "Admin Command Set only",
            _ => "Reserved",
        }
    );
    s += &format!(
        "\tEnable                              (EN): {}\n\n",
        on(c.en(), "Yes", "No")
    );
    s
}

fn csts(c: Csts) -> String {
    let yn = |b| on(b, "Yes", "No");
    let mut s = String::new();
    s += &format!(
        "\tShutdown Type                   (ST): {}\n",
        on(c.st(), "Subsystem", "Controller")
    );
    s += &format!("\tProcessing Paused               (PP): {}\n", yn(c.pp()));
    s += &format!(
        "\tNVM Subsystem Reset Occurred (NSSRO): {}\n",
        yn(c.nssro())
    );
    s += &format!(
        "\tShutdown Status               (SHST): {}\n",
        match c.shst() {
            Csts::SHST_NORMAL => "Normal operation (no shutdown has been requested)",
            Csts::SHST_OCCURRING => "Shutdown processing occurring",
            Csts::SHST_COMPLETE => "Shutdown processing complete",
            _ => "Reserved",
        }
    );
    s += &format!(
        "\tController Fatal Status        (CFS): {}\n",
        on(c.cfs(), "True", "False")
    );
    s += &format!(
        "\tReady                          (RDY): {}\n\n",
        yn(c.rdy())
    );
    s
}

/// Bits `lo..lo+len` of `v`.
fn bits(v: u64, lo: u32, len: u32) -> u64 {
    (v >> lo) & ((1u64 << len) - 1)
}

fn cmbloc(v: u64) -> String {
    let enforced = |bit| on(bits(v, bit, 1) != 0, "Not Enforced", "Enforced");
    format!(
        "\tOffset                                                        (OFST): \
         {} (See cmbsz.szu for granularity)\n\
         \tCMB Queue Dword Alignment                                     (CQDA): {}\n\
         \tCMB Data Metadata Mixed Memory Support                      (CDMMMS): {}\n\
         \tCMB Data Pointer and Command Independent Locations Support (CDPCILS): {}\n\
         \tCMB Data Pointer Mixed Locations Support                    (CDPMLS): {}\n\
         \tCMB Queue Physically Discontiguous Support                   (CQPDS): {}\n\
         \tCMB Queue Mixed Memory Support                               (CQMMS): {}\n\
         \tBase Indicator Register                                        (BIR): {}\n\n",
        cx(bits(v, 12, 20)),
        bits(v, 8, 1),
        enforced(7),
        enforced(6),
        enforced(5),
        enforced(4),
        enforced(3),
        cx(bits(v, 0, 3)),
    )
}

fn cmbsz(v: u64) -> String {
    if v as u32 == 0 {
        return "\tController Memory Buffer feature is not supported\n\n".into();
    }
    let sup = |bit| on(bits(v, bit, 1) != 0, "Supported", "Not supported");
    let szu = match bits(v, 8, 4) {
        0 => "4 KB",
        1 => "64 KB",
        2 => "1 MB",
        3 => "16 MB",
        4 => "256 MB",
        5 => "4 GB",
        6 => "64 GB",
        _ => "Reserved",
    };
    format!(
        "\tSize                      (SZ): {}\n\
         \tSize Units               (SZU): {szu}\n\
         \tWrite Data Support       (WDS): Write Data and metadata transfer in Controller Memory Buffer is {}\n\
         \tRead Data Support        (RDS): Read Data and metadata transfer in Controller Memory Buffer is {}\n\
         \tPRP SGL List Support   (LISTS): PRP/SG Lists in Controller Memory Buffer is {}\n\
         \tCompletion Queue Support (CQS): Admin and I/O Completion Queues in Controller Memory Buffer is {}\n\
         \tSubmission Queue Support (SQS): Admin and I/O Submission Queues in Controller Memory Buffer is {}\n\n",
        bits(v, 12, 20),
        sup(4),
        sup(3),
        sup(2),
        sup(1),
        sup(0),
    )
}

fn bpinfo(v: u64) -> String {
    format!(
        "\tActive Boot Partition ID      (ABPID): {}\n\
         \tBoot Read Status                (BRS): {}\n\
         \tBoot Partition Size            (BPSZ): {}\n",
        bits(v, 31, 1),
        match bits(v, 24, 2) {
            0 => "No Boot Partition read operation requested",
            1 => "Boot Partition read in progress",
            2 => "Boot Partition read completed successfully",
            _ => "Error completing Boot Partition read",
        },
        bits(v, 0, 15),
    )
}

/// nvme-cli's name of an elasticity-buffer or throughput unit (CMBSZU,
/// CMBSWTU, PMRSZU, PMRSWTU).
fn unit(u: u64) -> &'static str {
    match u {
        0 => "Bytes",
        1 => "One KB",
        2 => "One MB",
        3 => "One GB",
        _ => "Reserved",
    }
}

/// The elasticity buffer registers (CMBEBS, PMREBS): `what` is CMB or PMR.
fn ebs(what: &str, v: u64) -> String {
    let (base, units) = if what == "CMB" {
        ("CMBWBZ", "CMBSZU")
    } else {
        ("PMRWBZ", "PMRSZU")
    };
    let size = bits(v, 8, 24);
    format!(
        "\t{what} Elasticity Buffer Size Base  ({base}): {}\n\
         \tRead Bypass Behavior                     : memory reads not conflicting with memory \
         writes in the {what} Elasticity Buffer {} bypass those memory writes\n\
         \t{what} Elasticity Buffer Size Units ({units}): {}\n{}",
        if what == "CMB" {
            cx(size)
        } else {
            format!("{size:x}")
        },
        on(bits(v, 4, 1) != 0, "SHALL", "MAY"),
        unit(bits(v, 0, 4)),
        if what == "CMB" { "\n" } else { "" },
    )
}

fn pmrcap(v: u64) -> String {
    format!(
        "\tController Memory Space Supported                   (CMSS): \
         Referencing PMR with host supplied addresses is {}Supported\n\
         \tPersistent Memory Region Timeout                   (PMRTO): {:x}\n\
         \tPersistent Memory Region Write Barrier Mechanisms (PMRWBM): {:x}\n\
         \tPersistent Memory Region Time Units                (PMRTU): PMR time unit is {}\n\
         \tBase Indicator Register                              (BIR): {:x}\n\
         \tWrite Data Support                                   (WDS): Write data to the PMR is {}supported\n\
         \tRead Data Support                                    (RDS): Read data from the PMR is {}supported\n",
        on(bits(v, 24, 1) != 0, "", "Not "),
        bits(v, 16, 8),
        bits(v, 10, 4),
        on(bits(v, 8, 2) != 0, "minutes", "500 milliseconds"),
        bits(v, 5, 3),
        on(bits(v, 4, 1) != 0, "", "not "),
        on(bits(v, 3, 1) != 0, "", "not "),
    )
}

fn pmrsts(v: u64) -> String {
    format!(
        "\tController Base Address Invalid (CBAI): {:x}\n\
         \tHealth Status                   (HSTS): {}\n\
         \tNot Ready                       (NRDY): The Persistent Memory Region is {} to process \
         PCI Express memory read and write requests\n\
         \tError                            (ERR): {:x}\n",
        bits(v, 12, 1),
        match bits(v, 9, 3) {
            0 => "Normal Operation",
            1 => "Restore Error",
            2 => "Read Only",
            3 => "Unreliable",
            _ => "Reserved",
        },
        on(bits(v, 8, 1) == 0, "READY", "Not Ready"),
        bits(v, 0, 8),
    )
}

/// The decoders of the registers a Fabrics controller lacks (`get-reg -H`,
/// `show-regs -H` on PCIe); `None` for an offset without one here.
fn pcie_fields(offset: usize, v: u64) -> Option<String> {
    Some(match offset {
        regs::ASQ => format!(
            "\tAdmin Submission Queue Base (ASQB): {:x}\n",
            bits(v, 12, 52)
        ),
        regs::ACQ => format!(
            "\tAdmin Completion Queue Base (ACQB): {:x}\n",
            bits(v, 12, 52)
        ),
        regs::CMBLOC => cmbloc(v),
        regs::CMBSZ => cmbsz(v),
        regs::BPINFO => bpinfo(v),
        regs::BPRSEL => format!(
            "\tBoot Partition Identifier      (BPID): {}\n\
             \tBoot Partition Read Offset    (BPROF): {:x}\n\
             \tBoot Partition Read Size      (BPRSZ): {:x}\n",
            bits(v, 31, 1),
            bits(v, 10, 20),
            bits(v, 0, 10)
        ),
        regs::BPMBL => format!(
            "\tBoot Partition Memory Buffer Base Address (BMBBA): {:x}\n",
            bits(v, 12, 52)
        ),
        regs::CMBMSC => format!(
            "\tController Base Address         (CBA): {:x}\n\
             \tController Memory Space Enable (CMSE): {:x}\n\
             \tCapabilities Registers Enabled  (CRE): CMBLOC and CMBSZ registers are {}enabled\n\n",
            bits(v, 12, 52),
            bits(v, 1, 1),
            on(bits(v, 0, 1) != 0, "", "NOT ")
        ),
        regs::CMBEBS => ebs("CMB", v),
        regs::CMBSWTP => format!(
            "\tCMB Sustained Write Throughput       (CMBSWTV): {}\n\
             \tCMB Sustained Write Throughput Units (CMBSWTU): {}/second\n\n",
            cx(bits(v, 8, 24)),
            unit(bits(v, 0, 4))
        ),
        regs::PMRCAP => pmrcap(v),
        regs::PMRCTL => format!(
            "\tEnable (EN): PMR is {}\n",
            on(bits(v, 0, 1) != 0, "READY", "Disabled")
        ),
        regs::PMRSTS => pmrsts(v),
        regs::PMREBS => ebs("PMR", v),
        regs::PMRSWTP => format!(
            "\tPMR Sustained Write Throughput       (PMRSWTV): {:x}\n\
             \tPMR Sustained Write Throughput Units (PMRSWTU): {}/second\n",
            bits(v, 8, 24),
            unit(bits(v, 0, 4))
        ),
        regs::PMRMSCL => format!(
            "\tController Base Address         (CBA): {}\n\
             \tController Memory Space Enable (CMSE): {}\n\n",
            cx(bits(v, 12, 20)),
            cx(bits(v, 1, 1))
        ),
        regs::PMRMSCU => format!(
            "\tController Base Address         (CBA): {}\n",
            cx(v as u32 as u64)
        ),
        regs::CMBSTS => format!(
            "\tController Base Address Invalid (CBAI): {:x}\n\n",
            bits(v, 0, 1)
        ),
        _ => return None,
    })
}

/// C's `%#04x` of an offset: zero-padded to 4 characters, with `0x` only
/// before a nonzero one (`0000`, `0x14`, `0xe00`).
pub(super) fn alt_hex4(o: usize) -> String {
    if o == 0 {
        "0000".into()
    } else {
        format!("{o:#04x}")
    }
}

/// The register's name as nvme-cli prints it ("Unknown" off the map).
pub(super) fn name(offset: usize) -> &'static str {
    regs::name(offset).unwrap_or("Unknown")
}

/// The field lines of the register at `offset` holding `value`. Offsets
/// without a decoder get nvme-cli's `unknown register` line.
pub fn fields(offset: u32, value: u64) -> String {
    let v32 = value as u32;
    match offset as usize {
        regs::CAP => cap(Cap::from_bits(value)),
        regs::VS => {
            let vs = regs::Vs::from_bits(v32);
            format!(
                "\tNVMe specification {}.{}.{}\n\n",
                vs.mjr(),
                vs.mnr(),
                vs.ter()
            )
        }
        regs::INTMS => format!(
            "\tInterrupt Vector Mask Set (IVMS): {}\n\n",
            cx(value)
        ),
        regs::INTMC => format!(
            "\tInterrupt Vector Mask Clear (IVMC): {}\n\n",
            cx(value)
        ),
        regs::CC => cc(Cc::from_bits(v32)),
        regs::CSTS => csts(Csts::from_bits(v32)),
        regs::NSSR => format!("\tNVM Subsystem Reset Control (NSSRC): {value}\n\n"),
        regs::AQA => format!(
            "\tAdmin Completion Queue Size (ACQS): {}\n\tAdmin Submission Queue Size (ASQS): {}\n\n",
            ((v32 >> 16) & 0xfff) + 1,
            (v32 & 0xfff) + 1
        ),
        regs::NSSD => format!(
            "\tNVM Subsystem Shutdown Control (NSSC): {}\n\n",
            cx(v32 as u64)
        ),
        regs::CRTO => format!(
            "\tCRIMT                               : {} secs\n\
             \tCRWMT                               : {} secs\n",
            (v32 >> 16) / 2,
            (v32 & 0xffff) / 2
        ),
        o => pcie_fields(o, value).unwrap_or_else(|| format!(
            "unknown register: {} ({}), value: {}\n",
            alt_hex4(o),
            name(o),
            cx(value)
        )),
    }
}

/// `get-property -H`: `Name: value` then the fields.
pub fn property_text(offset: u32, value: u64) -> String {
    format!(
        "{}: {}\n{}",
        name(offset as usize),
        cx(value),
        fields(offset, value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cc_and_csts_decode_as_nvme_cli_prints_them() {
        // EN, IOSQES 6, IOCQES 4: what Linux enables.
        let t = property_text(0x14, 0x46_0001);
        assert!(t.starts_with("Controller Configuration: 0x460001\n"), "{t}");
        assert!(t.contains("\tI/O Completion Queue Entry Size (IOCQES): 16 bytes\n"));
        assert!(t.contains("\tI/O Submission Queue Entry Size (IOSQES): 64 bytes\n"));
        assert!(t.contains("\tMemory Page Size                   (MPS): 4096 bytes\n"));
        assert!(t.ends_with("\tEnable                              (EN): Yes\n\n"));
        let t = property_text(0x1c, 0b1001);
        assert!(
            t.contains("\tShutdown Status               (SHST): Shutdown processing complete\n")
        );
        assert!(t.ends_with("\tReady                          (RDY): Yes\n\n"));
    }

    #[test]
    fn cmb_and_pmr_fields_as_nvme_cli_prints_them_for_zero() {
        // nvme-cli 2.13's `get-reg -H --pmrcap --cmbebs` on QEMU 10's controller A.
        assert_eq!(
            property_text(0x5c, 0),
            "Controller Memory Buffer Elasticity Buffer Size: 0\n\
             \tCMB Elasticity Buffer Size Base  (CMBWBZ): 0\n\
             \tRead Bypass Behavior                     : memory reads not conflicting with \
             memory writes in the CMB Elasticity Buffer MAY bypass those memory writes\n\
             \tCMB Elasticity Buffer Size Units (CMBSZU): Bytes\n\n"
        );
        assert_eq!(
            property_text(0xe00, 0),
            "Persistent Memory Region Capabilities: 0\n\
             \tController Memory Space Supported                   (CMSS): Referencing PMR \
             with host supplied addresses is Not Supported\n\
             \tPersistent Memory Region Timeout                   (PMRTO): 0\n\
             \tPersistent Memory Region Write Barrier Mechanisms (PMRWBM): 0\n\
             \tPersistent Memory Region Time Units                (PMRTU): PMR time unit is \
             500 milliseconds\n\
             \tBase Indicator Register                              (BIR): 0\n\
             \tWrite Data Support                                   (WDS): Write data to the \
             PMR is not supported\n\
             \tRead Data Support                                    (RDS): Read data from the \
             PMR is not supported\n"
        );
        assert!(fields(0xe08, 1 << 8).contains("is Not Ready to process"));
        assert_eq!(fields(0xe04, 1), "\tEnable (EN): PMR is READY\n");
    }

    #[test]
    fn cap_fields() {
        // MQES 0x7ff, CQR, TO 0x0f, NSSRS, CSS NVM+IO sets, MPSMAX 4.
        let v: u64 = 0x7ff | 1 << 16 | 0x0f << 24 | 1 << 36 | 0x41 << 37 | 4 << 52;
        let t = property_text(0, v);
        assert!(t.contains("(MQES): 2048\n\n"), "{t}");
        assert!(t.contains("(TO): 7500 ms\n"));
        assert!(t.contains("(NSSRS): Yes\n"));
        assert!(t.contains("(MPSMAX): 65536 bytes\n"));
        assert!(t.contains("One or more I/O Command Sets are Supported\n"));
        assert_eq!(
            fields(0x99, 3),
            "unknown register: 0x99 (Unknown), value: 0x3\n"
        );
        assert_eq!(fields(0x08, 0x0001_0400), "\tNVMe specification 1.4.0\n\n");
    }
}
