//! The admin commands the driver itself issues to manage queues. Built here as
//! raw entries because they carry queue addresses only the driver knows (and
//! should never be sent by users through the backend).

use nvmeq_core::{AdminOpcode, Command};

/// Feature Identifier 07h: Number of Queues.
pub(crate) const FID_NUMBER_OF_QUEUES: u32 = 0x07;

/// Set Features – Number of Queues: ask for `n` I/O SQs and CQs
/// (NSQR/NCQR are zero-based).
pub(crate) fn set_number_of_queues(n: u16) -> Command {
    let mut c = Command::new(AdminOpcode::SET_FEATURES.0, 0);
    c.cdw10 = FID_NUMBER_OF_QUEUES;
    let z = (n - 1) as u32;
    c.cdw11 = z | z << 16;
    c
}

/// The number of I/O queue pairs granted, from Set Features' dword 0
/// (NSQA/NCQA, zero-based): the smaller of the two.
pub(crate) fn queues_granted(dw0: u32) -> u16 {
    let sq = (dw0 & 0xffff) as u16;
    let cq = (dw0 >> 16) as u16;
    sq.min(cq).saturating_add(1)
}

/// Create I/O Completion Queue: physically contiguous (PC), interrupts off
/// (the driver polls).
pub(crate) fn create_io_cq(qid: u16, size: u16, iova: u64) -> Command {
    let mut c = Command::new(AdminOpcode::CREATE_IO_CQ.0, 0);
    c.dptr[0] = iova;
    c.cdw10 = qid as u32 | ((size - 1) as u32) << 16;
    c.cdw11 = 1; // PC=1, IEN=0, IV=0
    c
}

/// Create I/O Submission Queue bound to CQ `qid`, physically contiguous.
pub(crate) fn create_io_sq(qid: u16, size: u16, iova: u64) -> Command {
    let mut c = Command::new(AdminOpcode::CREATE_IO_SQ.0, 0);
    c.dptr[0] = iova;
    c.cdw10 = qid as u32 | ((size - 1) as u32) << 16;
    c.cdw11 = 1 | (qid as u32) << 16; // PC=1, QPRIO=0 (urgent/ignored), CQID
    c
}

/// Delete I/O Submission Queue.
pub(crate) fn delete_io_sq(qid: u16) -> Command {
    let mut c = Command::new(AdminOpcode::DELETE_IO_SQ.0, 0);
    c.cdw10 = qid as u32;
    c
}

/// Delete I/O Completion Queue.
pub(crate) fn delete_io_cq(qid: u16) -> Command {
    let mut c = Command::new(AdminOpcode::DELETE_IO_CQ.0, 0);
    c.cdw10 = qid as u32;
    c
}

/// Abort command `cid` on SQ `sqid`.
pub(crate) fn abort(sqid: u16, cid: u16) -> Command {
    let mut c = Command::new(AdminOpcode::ABORT.0, 0);
    c.cdw10 = sqid as u32 | (cid as u32) << 16;
    c
}

/// Doorbell Buffer Config: the shadow doorbell page in PRP1, EventIdx in PRP2.
pub(crate) fn doorbell_buffer_config(dbs: u64, eis: u64) -> Command {
    let mut c = Command::new(AdminOpcode::DOORBELL_BUFFER_CONFIG.0, 0);
    c.dptr = [dbs, eis];
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_commands_encode_size_zero_based() {
        let c = create_io_cq(3, 256, 0x20_0000);
        assert_eq!(c.opcode(), 0x05);
        assert_eq!(c.cdw10, 3 | 255 << 16);
        assert_eq!(c.cdw11, 1);
        assert_eq!(c.dptr, [0x20_0000, 0]);
        let s = create_io_sq(3, 256, 0x30_0000);
        assert_eq!(s.opcode(), 0x01);
        assert_eq!(s.cdw11, 1 | 3 << 16);
        assert_eq!(set_number_of_queues(4).cdw11, 3 | 3 << 16);
        assert_eq!(queues_granted(0x0003_0007), 4);
        assert_eq!(abort(2, 0x1234).cdw10, 0x1234_0002);
        assert_eq!(doorbell_buffer_config(1, 2).opcode(), 0x7c);
    }
}
