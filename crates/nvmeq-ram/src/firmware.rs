//! Firmware slots: Firmware Image Download and Firmware Commit (Base spec
//! 2.0, "Firmware Image Download command", "Firmware Commit command"), the
//! FRMW and FWUG fields of Identify Controller and the Firmware Slot
//! Information log.
//!
//! Slot 1 is read-only and holds [`FR`](crate::FR); slots 2 to
//! [`SLOTS`] are writable. An image is the model's own format: its first 8
//! bytes are the Firmware Revision it reports, printable ASCII; anything
//! else is an Invalid Firmware Image. Activation at the next reset is
//! recorded (AFI bits 6:4) but the controller is never reset in memory, so
//! only Commit Action 3 changes the running revision.

use nvmeq_core::log::{FwCommitEvent, FwSlotLog, PelEventType};
use nvmeq_core::{Command, Data, Status};
use zerocopy::{FromZeros, IntoBytes};

use crate::controller::{data_out, RamController};
use crate::identify::FR;
use crate::status::{at, dnr, Fail};

/// Firmware slots (FRMW bits 3:1).
pub(crate) const SLOTS: u8 = 3;
/// Firmware Update Granularity (FWUG), 4 KiB units: offsets of image
/// pieces are multiples of it.
pub(crate) const FWUG: u8 = 1;
/// The largest image the staging buffer takes, bytes.
pub(crate) const MAX_IMAGE: usize = 1 << 20;
/// Firmware Updates (FRMW): slot 1 read-only (bit 0), [`SLOTS`] slots
/// (bits 3:1), activation without reset (bit 4).
pub(crate) const FRMW: u8 = 1 | SLOTS << 1 | 1 << 4;

/// Commit Action values (Firmware Commit CDW10 bits 5:3).
mod ca {
    pub const REPLACE: u8 = 0;
    pub const REPLACE_ACTIVATE_AT_RESET: u8 = 1;
    pub const ACTIVATE_AT_RESET: u8 = 2;
    pub const REPLACE_ACTIVATE_NOW: u8 = 3;
}

/// The slots, the image being downloaded, and what runs.
#[derive(Debug, Clone)]
pub(crate) struct Firmware {
    /// Revision in slot `i + 1`, `None` when empty.
    slots: [Option<[u8; 8]>; SLOTS as usize],
    /// The running slot (1-based).
    active: u8,
    /// The slot activated at the next reset, 0 for none.
    next: u8,
    /// The image downloaded since the last commit.
    staged: Vec<u8>,
}

impl Default for Firmware {
    fn default() -> Self {
        let mut slots = [None; SLOTS as usize];
        slots[0] = Some(FR);
        Firmware {
            slots,
            active: 1,
            next: 0,
            staged: Vec::new(),
        }
    }
}

impl Firmware {
    /// The running Firmware Revision (Identify Controller FR).
    pub(crate) fn revision(&self) -> [u8; 8] {
        self.slots[self.active as usize - 1].unwrap_or(FR)
    }

    /// Firmware Slot Information (LID 03h).
    pub(crate) fn log(&self) -> FwSlotLog {
        let mut log = FwSlotLog::new_zeroed();
        log.afi = self.active | self.next << 4;
        for (frs, slot) in log.frs.iter_mut().zip(&self.slots) {
            *frs = slot.unwrap_or([0; 8]);
        }
        log
    }

    /// The revision a staged image carries, if it is a valid image.
    fn staged_revision(&self) -> Option<[u8; 8]> {
        let fr: [u8; 8] = self.staged.get(..8)?.try_into().ok()?;
        fr.iter().all(|b| (0x20..0x7f).contains(b)).then_some(fr)
    }
}

impl RamController {
    /// Firmware Image Download (admin 11h): NUMD + 1 dwords at dword OFST.
    pub(crate) fn fw_download(&mut self, sqe: &Command, data: &Data<'_>) -> Result<u64, Fail> {
        let len = (sqe.cdw10 as u64 + 1) * 4;
        let off = sqe.cdw11 as u64 * 4;
        let gran = FWUG as u64 * 4096;
        if off % gran != 0 {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11));
        }
        if off + len > MAX_IMAGE as u64 {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10));
        }
        let src = data_out(data, len)?;
        let fw = &mut self.firmware;
        // Pieces arrive in order; one that starts inside what is already
        // staged overlaps it.
        if (off as usize) < fw.staged.len() {
            return Err(Fail::new(dnr(Status::OVERLAPPING_RANGE), at::CDW11));
        }
        fw.staged.resize(off as usize, 0);
        fw.staged.extend_from_slice(src);
        Ok(0)
    }

    /// Firmware Commit (admin 10h), actions 0 to 3; the boot partition
    /// actions need boot partitions, which the controller has none of.
    pub(crate) fn fw_commit(&mut self, sqe: &Command) -> Result<u64, Fail> {
        let fs = (sqe.cdw10 & 7) as u8;
        let action = ((sqe.cdw10 >> 3) & 7) as u8;
        let old_fw_rev = self.firmware.revision();
        let fw = &mut self.firmware;
        let replaces = matches!(
            action,
            ca::REPLACE | ca::REPLACE_ACTIVATE_AT_RESET | ca::REPLACE_ACTIVATE_NOW
        );
        if !replaces && action != ca::ACTIVATE_AT_RESET {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10));
        }
        // FS 0: the controller picks a writable slot that is not running.
        let slot = match fs {
            0 if replaces => (2..=SLOTS).find(|&s| s != fw.active).unwrap_or(2),
            0 => fw.active,
            s => s,
        };
        if slot > SLOTS || (replaces && slot == 1) {
            return Err(Fail::new(dnr(Status::INVALID_FIRMWARE_SLOT), at::CDW10));
        }
        if replaces {
            let fr = fw
                .staged_revision()
                .ok_or(Fail::unspecific(dnr(Status::INVALID_FIRMWARE_IMAGE)))?;
            fw.slots[slot as usize - 1] = Some(fr);
            fw.staged.clear();
        } else if fw.slots[slot as usize - 1].is_none() {
            return Err(Fail::new(dnr(Status::INVALID_FIRMWARE_IMAGE), at::CDW10));
        }
        match action {
            ca::REPLACE_ACTIVATE_AT_RESET | ca::ACTIVATE_AT_RESET => fw.next = slot,
            ca::REPLACE_ACTIVATE_NOW => {
                fw.active = slot;
                fw.next = 0;
            }
            _ => {}
        }
        let new_fw_rev = fw.slots[slot as usize - 1].unwrap_or(old_fw_rev);
        let event = FwCommitEvent {
            old_fw_rev,
            new_fw_rev,
            fw_commit_action: action,
            fw_slot: slot,
            ..FwCommitEvent::new_zeroed()
        };
        self.events
            .record(PelEventType::FW_COMMIT, event.as_bytes());
        Ok(0)
    }
}

/// The state file: each slot's revision, the active and next slots and the
/// image downloaded so far.
impl Firmware {
    pub(crate) fn save(&self, e: &mut crate::state::codec::Enc) {
        for &slot in &self.slots {
            e.opt(slot, |e, fr| e.raw(&fr));
        }
        e.u8(self.active);
        e.u8(self.next);
        e.bytes(&self.staged);
    }

    pub(crate) fn load(
        d: &mut crate::state::codec::Dec<'_>,
    ) -> Result<Self, crate::state::codec::Bad> {
        let mut slots = [None; SLOTS as usize];
        for slot in &mut slots {
            *slot = d.opt(crate::state::codec::Dec::array)?;
        }
        let (active, next) = (d.u8()?, d.u8()?);
        let staged = d.bytes()?.to_vec();
        let holds = |s: u8| (1..=SLOTS).contains(&s) && slots[s as usize - 1].is_some();
        if slots[0].is_none() {
            return Err("firmware slot 1 (read-only) is empty");
        }
        if !holds(active) || (next != 0 && !holds(next)) {
            return Err("the active or next firmware slot holds no image");
        }
        if staged.len() > MAX_IMAGE {
            return Err("the downloaded firmware image is larger than the controller takes");
        }
        Ok(Firmware {
            slots,
            active,
            next,
            staged,
        })
    }
}
