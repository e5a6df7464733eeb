//! `nvmeq`: NVMe from the command line over any nvmeq backend.
//!
//! Command and option names follow nvme-cli so scripts port by changing the
//! binary name; `-o json` works on every command and uses nvme-cli 2.3's field
//! names. See `nvmeq help` and the crate README.
#![forbid(unsafe_code)]

mod cmd;
mod device;
mod error;
#[cfg(test)]
mod fixture_tests;
mod json;
mod num;
mod output;
#[cfg(test)]
mod schema;

use clap::{Parser, Subcommand};

use cmd::{
    admin, bench, capacity, dhchap, dim, directive, discover, fabrics, features, fw, hostnqn,
    identify, io, io_mgmt, lba_status, list, lockdown, log, ns_id, ns_mgmt, nvme_mi, passthru,
    property, register, resv, rpmb, security, tls_key, topology, virt, zns, Ctx,
};
use nvmeq::BackendKind;
use nvmeq_core::cmd::ZoneSendAction;
use output::Format;

/// NVMe commands over io_uring, ioctl, VFIO or an in-memory controller.
#[derive(Debug, Parser)]
#[command(name = "nvmeq", version, max_term_width = 100)]
struct Cli {
    /// Output format: normal (like nvme-cli), json (nvme-cli 2.3 field names) or binary (raw structure).
    #[arg(
        short = 'o',
        long = "output-format",
        value_enum,
        global = true,
        default_value = "normal"
    )]
    fmt: Format,
    /// Use this backend whatever the device string says.
    #[arg(long, global = true, value_parser = backend_parser())]
    backend: Option<BackendKind>,
    #[command(subcommand)]
    cmd: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List every NVMe controller and namespace on this host and the backends each can use.
    List,
    /// The kernel's NVM subsystems and their controllers (like nvme list-subsys).
    ListSubsys(topology::ListSubsysArgs),
    /// The kernel's subsystems, controllers, namespaces and paths (like nvme show-topology).
    ShowTopology(topology::ShowTopologyArgs),
    /// A new host NQN from the system UUID, else a random UUID.
    GenHostnqn,
    /// The host NQN: /etc/nvme/hostnqn, else a generated one.
    ShowHostnqn,
    /// Discovery log page of an NVMe/TCP discovery controller (like nvme discover).
    Discover(discover::DiscoverArgs),
    /// Discovery Information Management: register this host with discovery controllers (like nvme dim).
    Dim(dim::DimArgs),
    /// Connect to an NVMe over Fabrics subsystem through the kernel (like nvme connect).
    Connect(fabrics::ConnectArgs),
    /// Connect through the kernel to every NVM subsystem a discovery controller lists.
    ConnectAll(fabrics::ConnectAllArgs),
    /// Disconnect kernel fabrics controllers by subsystem NQN or device name.
    Disconnect(fabrics::DisconnectArgs),
    /// Disconnect every kernel fabrics controller (not PCIe ones).
    DisconnectAll(fabrics::DisconnectAllArgs),
    /// Generate a DH-HMAC-CHAP key for NVMe in-band authentication.
    GenDhchapKey(dhchap::GenArgs),
    /// Check a DH-HMAC-CHAP key (header, length, CRC).
    CheckDhchapKey(dhchap::CheckArgs),
    /// Generate a TLS PSK in the NVMe/TCP interchange format.
    GenTlsKey(tls_key::GenArgs),
    /// Check a TLS PSK and print the TLS identity a host presents for it.
    CheckTlsKey(tls_key::CheckArgs),
    /// Identify Controller.
    IdCtrl(identify::IdCtrlArgs),
    /// Identify Namespace.
    IdNs(identify::IdNsArgs),
    /// List the active (or allocated) namespace IDs.
    ListNs(identify::ListNsArgs),
    /// Namespace Identification Descriptors (EUI-64, NGUID, UUID, CSI).
    NsDescs(identify::NsDescsArgs),
    /// Identify Controller, NVM Command Set specific (CNS 06h).
    NvmIdCtrl(identify::NvmIdCtrlArgs),
    /// Identify Namespace, NVM Command Set specific (CNS 05h).
    NvmIdNs(identify::NvmIdNsArgs),
    /// Identify Namespace for one LBA format index (CNS 09h).
    IdNsLbaFormat(identify::LbaFormatArgs),
    /// NVM Command Set Identify Namespace for one LBA format index (CNS 0Ah).
    NvmIdNsLbaFormat(identify::LbaFormatArgs),
    /// Identify Primary Controller Capabilities (CNS 14h).
    PrimaryCtrlCaps(identify::PrimaryCapsArgs),
    /// Identify I/O Command Set data structure (CNS 1Ch).
    IdIocs(identify::IdIocsArgs),
    /// Identify Controller List: in the subsystem, or attached to --namespace-id.
    ListCtrl(identify::ListCtrlArgs),
    /// Identify Secondary Controller List (CNS 15h).
    ListSecondary(identify::ListSecondaryArgs),
    /// Identify UUID List (CNS 17h).
    IdUuid(identify::IdUuidArgs),
    /// Identify NVM Set List (CNS 04h).
    IdNvmset(identify::IdNvmsetArgs),
    /// Identify Domain List (CNS 18h).
    IdDomain(identify::IdDomainArgs),
    /// I/O Command Set Independent Identify Namespace (CNS 08h).
    CmdsetIndIdNs(identify::CmdsetIndIdNsArgs),
    /// Identify Endurance Group List (CNS 19h).
    ListEndgrp(identify::ListEndgrpArgs),
    /// Identify Namespace Granularity List (CNS 16h).
    IdNsGranularity(identify::IdNsGranularityArgs),
    /// The namespace ID of a namespace device node.
    GetNsId(ns_id::GetNsIdArgs),
    /// SMART / Health Information log.
    SmartLog(log::SmartArgs),
    /// Error Information log.
    ErrorLog(log::ErrorArgs),
    /// Firmware Slot Information log.
    FwLog(log::FwArgs),
    /// Commands Supported and Effects log.
    EffectsLog(log::EffectsArgs),
    /// Any log page, raw, read in pieces of --xfer-len bytes.
    GetLog(log::GetLogArgs),
    /// Supported Log Pages log.
    SupportedLogPages(log::SupportedPagesArgs),
    /// Device Self-test log.
    SelfTestLog(log::SelfTestLogArgs),
    /// Start (short, extended) or abort a device self-test, or show the one in progress.
    DeviceSelfTest(log::DeviceSelfTestArgs),
    /// Sanitize Status log.
    SanitizeLog(log::SanitizeLogArgs),
    /// Changed Attached Namespace List log.
    ChangedNsListLog(log::ChangedNsArgs),
    /// Feature Identifiers Supported and Effects log.
    FidSupportEffectsLog(log::FidEffectsArgs),
    /// NVMe-MI Commands Supported and Effects log.
    MiCmdSupportEffectsLog(log::FidEffectsArgs),
    /// Endurance Group Information log.
    EnduranceLog(log::EnduranceArgs),
    /// Asymmetric Namespace Access log.
    AnaLog(log::AnaArgs),
    /// Reservation Notification log.
    ResvNotifLog(log::ResvNotifArgs),
    /// Telemetry log (host- or controller-initiated), written to --output-file.
    TelemetryLog(log::TelemetryArgs),
    /// Persistent Event log: establish, read or release its reporting context.
    PersistentEventLog(log::PelArgs),
    /// Endurance Group Event Aggregate log.
    EnduranceEventAggLog(log::AggregateArgs),
    /// Predictable Latency Event Aggregate log.
    PredLatEventAggLog(log::AggregateArgs),
    /// Predictable Latency Per NVM Set log.
    PredictableLatLog(log::PredLatArgs),
    /// LBA Status Information log.
    LbaStatusLog(log::LbaStatusArgs),
    /// Boot Partition log, its contents written to --output-file.
    BootPartLog(log::BootPartArgs),
    /// Media Unit Status log of a domain.
    MediaUnitStatLog(log::DomainLogArgs),
    /// Supported Capacity Configuration List log of a domain.
    SupportedCapConfigLog(log::DomainLogArgs),
    /// Reachability Groups log.
    ReachabilityGroupsLog(log::ReachGroupsArgs),
    /// Reachability Associations log.
    ReachabilityAssociationsLog(log::ReachAssociationsArgs),
    /// Host Discovery log of a centralized discovery controller.
    HostDiscoveryLog(log::HostDiscoveryArgs),
    /// AVE Discovery log of a centralized discovery controller.
    AveDiscoveryLog(log::AveDiscoveryArgs),
    /// Pull Model DDC Request log.
    PullModelDdcReqLog(log::PullModelDdcArgs),
    /// Physical Interface Receiver Eye Opening Measurement log.
    PhyRxEomLog(log::PhyRxEomArgs),
    /// Management Address List log.
    MgmtAddrListLog(log::MgmtAddrArgs),
    /// Rotational Media Information log of an Endurance Group.
    RotationalMediaInfoLog(log::RotationalArgs),
    /// Changed Allocated Namespace List log.
    ChangedAllocNsListLog(log::ChangedNsArgs),
    /// Dispersed Namespace Participating NVM Subsystems log of a namespace.
    DispersedNsParticipatingNssLog(log::DispersedNsArgs),
    /// Get Features.
    GetFeature(features::GetArgs),
    /// Set Features. Needs --namespace-id.
    SetFeature(features::SetArgs),
    /// Read logical blocks (to --data or stdout).
    Read(io::DataIo),
    /// Write logical blocks (from --data or stdin). Needs --namespace-id.
    Write(io::DataIo),
    /// Compare logical blocks with data (from --data or stdin).
    Compare(io::DataIo),
    /// Verify logical blocks (no data transfer).
    Verify(io::NoData),
    /// Flush the volatile write cache.
    Flush(io::FlushArgs),
    /// Write Zeroes. Needs --namespace-id.
    WriteZeroes(io::NoData),
    /// Write Uncorrectable: mark blocks invalid until rewritten. Needs --namespace-id.
    WriteUncor(io::UncorArgs),
    /// Copy source ranges to consecutive blocks. Needs --namespace-id.
    Copy(io::CopyArgs),
    /// Dataset Management (deallocate/trim, attributes). Needs --namespace-id.
    Dsm(io::DsmArgs),
    /// Reservation Report: the namespace's reservation and registrants.
    ResvReport(resv::ReportArgs),
    /// Reservation Register: register, unregister or replace a key. Needs --namespace-id.
    ResvRegister(resv::RegisterArgs),
    /// Reservation Acquire: acquire or preempt a reservation. Needs --namespace-id.
    ResvAcquire(resv::AcquireArgs),
    /// Reservation Release: release or clear a reservation. Needs --namespace-id.
    ResvRelease(resv::ReleaseArgs),
    /// Directive Receive: Identify or Streams directive parameters, stream status, allocate streams.
    DirReceive(directive::ReceiveArgs),
    /// Directive Send: enable a directive, release streams. Needs --namespace-id.
    DirSend(directive::SendArgs),
    /// Get LBA Status: the potentially unrecoverable LBAs of a range.
    GetLbaStatus(lba_status::GetLbaStatusArgs),
    /// Capacity Management: create or delete Endurance Groups and NVM Sets. Needs --force.
    CapacityMgmt(capacity::CapacityArgs),
    /// Lockdown: prohibit or allow a command or Set Features FID. Prohibiting needs --force.
    Lockdown(lockdown::LockdownArgs),
    /// Virtualization Management: a secondary controller's resources and state. Needs --force.
    VirtMgmt(virt::VirtMgmtArgs),
    /// I/O Management Receive (FDP): e.g. Reclaim Unit Handle Status (-m 1).
    IoMgmtRecv(io_mgmt::RecvArgs),
    /// I/O Management Send (FDP): e.g. Reclaim Unit Handle Update (-m 1). Needs --namespace-id.
    IoMgmtSend(io_mgmt::SendArgs),
    /// Security Send: a security protocol's payload. Needs --force.
    SecuritySend(security::SendArgs),
    /// Security Receive: a security protocol's answer (protocol 0: the supported protocols).
    SecurityRecv(security::RecvArgs),
    /// RPMB: Replay Protected Memory Block (info, keys, counter, data, config). Writes need --force.
    Rpmb(rpmb::RpmbArgs),
    /// NVMe-MI Send: an NVMe-MI request tunnelled in-band (like nvme nvme-mi-send). Needs --force.
    NvmeMiSend(nvme_mi::SendArgs),
    /// NVMe-MI Receive: an NVMe-MI request's response data (like nvme nvme-mi-recv).
    NvmeMiRecv(nvme_mi::MiArgs),
    /// Send any admin command.
    AdminPassthru(passthru::PassthruArgs),
    /// Send any I/O command.
    IoPassthru(passthru::PassthruArgs),
    /// Zoned namespace commands.
    #[command(subcommand)]
    Zns(zns::Zns),
    /// Create a namespace (not attached); prints the NSID the controller chose.
    CreateNs(ns_mgmt::CreateArgs),
    /// Attach a namespace to controllers (default: this one). Needs --namespace-id.
    AttachNs(ns_mgmt::AttachArgs),
    /// Detach a namespace from controllers (default: this one). Needs --namespace-id and --force.
    DetachNs(ns_mgmt::AttachArgs),
    /// Delete a namespace. Needs --namespace-id and --force.
    DeleteNs(ns_mgmt::DeleteArgs),
    /// Firmware Image Download, in pieces of --xfer bytes. Needs --force.
    FwDownload(fw::DownloadArgs),
    /// Firmware Commit: replace or activate a slot's image. Needs --force.
    FwCommit(fw::CommitArgs),
    /// Format NVM. Needs --namespace-id and --force.
    Format(admin::FormatArgs),
    /// Sanitize the whole subsystem. Needs --namespace-id all and --force.
    Sanitize(admin::SanitizeArgs),
    /// Show the controller registers (vfio backend only).
    ShowRegs(admin::CtrlArgs),
    /// Read a controller property (Fabrics Property Get; -O offset).
    GetProperty(property::GetPropertyArgs),
    /// Write a controller property (Fabrics Property Set; -O offset, -V value). Needs --force.
    SetProperty(property::SetPropertyArgs),
    /// Read controller registers (-O offset or --cap, --cc, …; PCIe: BAR0, fabrics: properties).
    GetReg(register::GetRegArgs),
    /// NVM Subsystem Reset (when CAP.NSSRS says it is supported). Needs --force.
    SubsystemReset(admin::SubsystemResetArgs),
    /// Write controller registers (-O -V, or --cc, --nssr, …). Needs --force.
    SetReg(register::SetRegArgs),
    /// Reset the controller (through the kernel, or the VFIO driver).
    Reset(admin::CtrlArgs),
    /// Have the kernel rescan the controller's namespaces.
    NsRescan(admin::CtrlArgs),
    /// fio-style benchmark: IOPS, latency, CPU and syscalls per I/O. Writes need --allow-destructive and --namespace-id.
    Bench(bench::BenchArgs),
}

/// `--backend ram|ioctl|uring|vfio`, listed in `--help`.
fn backend_parser() -> impl clap::builder::TypedValueParser<Value = BackendKind> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(BackendKind::ALL.map(BackendKind::name))
        .try_map(|s| s.parse::<BackendKind>())
}

fn run(cli: Cli) -> error::Result<()> {
    let ctx = Ctx {
        fmt: cli.fmt,
        backend: cli.backend,
    };
    match &cli.cmd {
        Command::List => list::run(ctx.fmt),
        Command::ListSubsys(a) => topology::list_subsys(ctx.fmt, a),
        Command::ShowTopology(a) => topology::show_topology(ctx.fmt, a),
        Command::GenHostnqn => hostnqn::gen_hostnqn(),
        Command::ShowHostnqn => hostnqn::show_hostnqn(),
        Command::Discover(a) => discover::run(ctx.fmt, a),
        Command::Dim(a) => dim::run(&ctx, a),
        Command::Connect(a) => fabrics::connect(ctx.fmt, a),
        Command::ConnectAll(a) => fabrics::connect_all(a),
        Command::Disconnect(a) => fabrics::disconnect(a),
        Command::DisconnectAll(a) => fabrics::disconnect_all(a),
        Command::GenDhchapKey(a) => dhchap::gen(a),
        Command::CheckDhchapKey(a) => dhchap::check_cmd(a),
        Command::GenTlsKey(a) => tls_key::gen(a),
        Command::CheckTlsKey(a) => tls_key::check_cmd(a),
        Command::IdCtrl(a) => identify::id_ctrl(&ctx, a),
        Command::IdNs(a) => identify::id_ns(&ctx, a),
        Command::ListNs(a) => identify::list_ns(&ctx, a),
        Command::NsDescs(a) => identify::ns_descs(&ctx, a),
        Command::NvmIdCtrl(a) => identify::nvm_id_ctrl(&ctx, a),
        Command::NvmIdNs(a) => identify::nvm_id_ns(&ctx, a),
        Command::IdNsLbaFormat(a) => identify::id_ns_lba_format(&ctx, a),
        Command::NvmIdNsLbaFormat(a) => identify::nvm_id_ns_lba_format(&ctx, a),
        Command::PrimaryCtrlCaps(a) => identify::primary_caps(&ctx, a),
        Command::IdIocs(a) => identify::id_iocs(&ctx, a),
        Command::ListCtrl(a) => identify::list_ctrl(&ctx, a),
        Command::ListSecondary(a) => identify::list_secondary(&ctx, a),
        Command::IdUuid(a) => identify::id_uuid(&ctx, a),
        Command::IdNvmset(a) => identify::id_nvmset(&ctx, a),
        Command::IdDomain(a) => identify::id_domain(&ctx, a),
        Command::CmdsetIndIdNs(a) => identify::cmdset_ind_id_ns(&ctx, a),
        Command::ListEndgrp(a) => identify::list_endgrp(&ctx, a),
        Command::IdNsGranularity(a) => identify::id_ns_granularity(&ctx, a),
        Command::GetNsId(a) => ns_id::get_ns_id(&ctx, a),
        Command::SmartLog(a) => log::smart(&ctx, a),
        Command::ErrorLog(a) => log::error(&ctx, a),
        Command::FwLog(a) => log::fw(&ctx, a),
        Command::EffectsLog(a) => log::effects(&ctx, a),
        Command::GetLog(a) => log::get_log_cmd(&ctx, a),
        Command::SupportedLogPages(a) => log::supported_pages(&ctx, a),
        Command::SelfTestLog(a) => log::self_test_log(&ctx, a),
        Command::DeviceSelfTest(a) => log::device_self_test(&ctx, a),
        Command::SanitizeLog(a) => log::sanitize_log(&ctx, a),
        Command::ChangedNsListLog(a) => log::changed_ns(&ctx, a),
        Command::FidSupportEffectsLog(a) => log::fid_effects(&ctx, a),
        Command::MiCmdSupportEffectsLog(a) => log::mi_effects(&ctx, a),
        Command::EnduranceLog(a) => log::endurance(&ctx, a),
        Command::AnaLog(a) => log::ana(&ctx, a),
        Command::ResvNotifLog(a) => log::resv_notif(&ctx, a),
        Command::TelemetryLog(a) => log::telemetry_log(&ctx, a),
        Command::PersistentEventLog(a) => log::persistent_event_log(&ctx, a),
        Command::EnduranceEventAggLog(a) => log::aggregate(&ctx, a, log::Aggregate::Endurance),
        Command::PredLatEventAggLog(a) => {
            log::aggregate(&ctx, a, log::Aggregate::PredictableLatency)
        }
        Command::PredictableLatLog(a) => log::predictable_lat(&ctx, a),
        Command::LbaStatusLog(a) => log::lba_status(&ctx, a),
        Command::BootPartLog(a) => log::boot_part(&ctx, a),
        Command::MediaUnitStatLog(a) => log::media_unit_stat(&ctx, a),
        Command::SupportedCapConfigLog(a) => log::supported_cap_config(&ctx, a),
        Command::ReachabilityGroupsLog(a) => log::reachability_groups(&ctx, a),
        Command::ReachabilityAssociationsLog(a) => log::reachability_associations(&ctx, a),
        Command::HostDiscoveryLog(a) => log::host_discovery(&ctx, a),
        Command::AveDiscoveryLog(a) => log::ave_discovery(&ctx, a),
        Command::PullModelDdcReqLog(a) => log::pull_model_ddc_req(&ctx, a),
        Command::PhyRxEomLog(a) => log::phy_rx_eom(&ctx, a),
        Command::MgmtAddrListLog(a) => log::mgmt_addr(&ctx, a),
        Command::RotationalMediaInfoLog(a) => log::rotational(&ctx, a),
        Command::ChangedAllocNsListLog(a) => log::changed_alloc_ns(&ctx, a),
        Command::DispersedNsParticipatingNssLog(a) => log::dispersed_ns(&ctx, a),
        Command::GetFeature(a) => features::get(&ctx, a),
        Command::SetFeature(a) => features::set(&ctx, a),
        Command::Read(a) => io::read(&ctx, a),
        Command::Write(a) => io::write(&ctx, a),
        Command::Compare(a) => io::compare(&ctx, a),
        Command::Verify(a) => io::verify(&ctx, a),
        Command::Flush(a) => io::flush(&ctx, a),
        Command::WriteZeroes(a) => io::write_zeroes(&ctx, a),
        Command::WriteUncor(a) => io::write_uncor(&ctx, a),
        Command::Copy(a) => io::copy(&ctx, a),
        Command::Dsm(a) => io::dsm(&ctx, a),
        Command::ResvReport(a) => resv::report(&ctx, a),
        Command::ResvRegister(a) => resv::register(&ctx, a),
        Command::ResvAcquire(a) => resv::acquire(&ctx, a),
        Command::ResvRelease(a) => resv::release(&ctx, a),
        Command::DirReceive(a) => directive::receive(&ctx, a),
        Command::DirSend(a) => directive::send(&ctx, a),
        Command::GetLbaStatus(a) => lba_status::get_lba_status(&ctx, a),
        Command::CapacityMgmt(a) => capacity::capacity_mgmt(&ctx, a),
        Command::Lockdown(a) => lockdown::lockdown(&ctx, a),
        Command::VirtMgmt(a) => virt::virt_mgmt(&ctx, a),
        Command::IoMgmtRecv(a) => io_mgmt::recv(&ctx, a),
        Command::IoMgmtSend(a) => io_mgmt::send(&ctx, a),
        Command::SecuritySend(a) => security::send(&ctx, a),
        Command::SecurityRecv(a) => security::recv(&ctx, a),
        Command::Rpmb(a) => rpmb::rpmb(&ctx, a),
        Command::NvmeMiSend(a) => nvme_mi::send(&ctx, a),
        Command::NvmeMiRecv(a) => nvme_mi::recv(&ctx, a),
        Command::AdminPassthru(a) => passthru::run(&ctx, a, true),
        Command::IoPassthru(a) => passthru::run(&ctx, a, false),
        Command::Zns(z) => match z {
            zns::Zns::ReportZones(a) => zns::report(&ctx, a),
            zns::Zns::Open(a) => zns::send(&ctx, a, ZoneSendAction::OPEN, "open"),
            zns::Zns::Close(a) => zns::send(&ctx, a, ZoneSendAction::CLOSE, "close"),
            zns::Zns::Finish(a) => zns::send(&ctx, a, ZoneSendAction::FINISH, "finish"),
            zns::Zns::Reset(a) => zns::send(&ctx, a, ZoneSendAction::RESET, "reset"),
            zns::Zns::Append(a) => zns::append(&ctx, a),
        },
        Command::CreateNs(a) => ns_mgmt::create(&ctx, a),
        Command::AttachNs(a) => ns_mgmt::attach(&ctx, a, true),
        Command::DetachNs(a) => ns_mgmt::attach(&ctx, a, false),
        Command::DeleteNs(a) => ns_mgmt::delete(&ctx, a),
        Command::FwDownload(a) => fw::download(&ctx, a),
        Command::FwCommit(a) => fw::commit(&ctx, a),
        Command::Format(a) => admin::format(&ctx, a),
        Command::Sanitize(a) => admin::sanitize(&ctx, a),
        Command::ShowRegs(a) => admin::show_regs(&ctx, a),
        Command::GetProperty(a) => property::get_property(&ctx, a),
        Command::SetProperty(a) => property::set_property(&ctx, a),
        Command::GetReg(a) => register::get_reg(&ctx, a),
        Command::SubsystemReset(a) => admin::subsystem_reset(&ctx, a),
        Command::SetReg(a) => register::set_reg(&ctx, a),
        Command::Reset(a) => admin::reset(&ctx, a),
        Command::NsRescan(a) => admin::ns_rescan(&ctx, a),
        Command::Bench(a) => bench::run(&ctx, a),
    }
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("nvmeq: {e}");
        std::process::exit(e.exit_code());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
