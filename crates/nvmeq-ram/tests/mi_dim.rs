//! NVMe-MI Send/Receive and Discovery Information Management, which the
//! in-memory controller does not implement: OACS bit 6 (NVMe-MI Send and
//! Receive) is clear, the Commands Supported and Effects log does not list
//! them, and each is refused with Invalid Command Opcode.

mod common;
use common::*;
use nvmeq_core::cmd::{MiMessageType, MiOpcode, NvmeMi};
use nvmeq_core::fabrics::dim::{Dim, DimTask};
use nvmeq_core::identify::oacs;
use nvmeq_core::{Backend, Data, Status};

#[test]
fn not_advertised() {
    let mut c = ctrl(64 << 20, 512);
    let id = run_in(&mut c, &identify(0x01, 0), 4096).unwrap();
    assert_eq!(u16_at(&id, 256) & oacs::NVME_MI, 0, "OACS bit 6");
    let eff = run_in(&mut c, &get_log(0x05, 0, 4096, 0), 4096).unwrap();
    for op in [0x1dusize, 0x1e, 0x21] {
        assert_eq!(u32_at(&eff, op * 4) & 1, 0, "opcode {op:#x} not supported");
    }
}

#[test]
fn refused_with_invalid_command_opcode() {
    let mut c = ctrl(64 << 20, 512);
    let invalid = Status::INVALID_OPCODE.with_dnr(true);
    let mut b = [0u8; 256];
    let recv = NvmeMi::receive(MiMessageType::MI_COMMAND, MiOpcode::READ_MI_DATA.0, 256).build();
    assert_eq!(
        status_of(c.execute(&recv, Data::FromDevice(&mut b))),
        invalid
    );
    let send = NvmeMi::send(MiMessageType::MI_COMMAND, MiOpcode::VPD_WRITE.0, 256)
        .nmd1(0x100)
        .build();
    assert_eq!(status_of(c.execute(&send, Data::ToDevice(&b))), invalid);
    let none = NvmeMi::receive(MiMessageType::MI_COMMAND, 1, 0).build();
    assert_eq!(status_of(c.execute(&none, Data::None)), invalid);
    let dim_data = [0u8; 2076];
    let dim = Dim::new(DimTask::REGISTER, 2076).build();
    assert_eq!(
        status_of(c.execute(&dim, Data::ToDevice(&dim_data))),
        invalid
    );
}
