//! Opcodes as open enums: NVMe Base Specification "Opcodes for Admin Commands",
//! NVM Command Set "Opcodes for NVM Commands", ZNS "Opcodes for Zoned Namespace Commands".

open_enum! {
    /// Admin command opcode.
    AdminOpcode {
        /// Delete I/O Submission Queue.
        DELETE_IO_SQ = 0x00 => "Delete I/O Submission Queue",
        /// Create I/O Submission Queue.
        CREATE_IO_SQ = 0x01 => "Create I/O Submission Queue",
        /// Get Log Page.
        GET_LOG_PAGE = 0x02 => "Get Log Page",
        /// Delete I/O Completion Queue.
        DELETE_IO_CQ = 0x04 => "Delete I/O Completion Queue",
        /// Create I/O Completion Queue.
        CREATE_IO_CQ = 0x05 => "Create I/O Completion Queue",
        /// Identify.
        IDENTIFY = 0x06 => "Identify",
        /// Abort.
        ABORT = 0x08 => "Abort",
        /// Set Features.
        SET_FEATURES = 0x09 => "Set Features",
        /// Get Features.
        GET_FEATURES = 0x0a => "Get Features",
        /// Asynchronous Event Request.
        ASYNC_EVENT_REQUEST = 0x0c => "Asynchronous Event Request",
        /// Namespace Management.
        NS_MANAGEMENT = 0x0d => "Namespace Management",
        /// Firmware Commit.
        FIRMWARE_COMMIT = 0x10 => "Firmware Commit",
        /// Firmware Image Download.
        FIRMWARE_DOWNLOAD = 0x11 => "Firmware Image Download",
        /// Device Self-test.
        DEVICE_SELF_TEST = 0x14 => "Device Self-test",
        /// Namespace Attachment.
        NS_ATTACHMENT = 0x15 => "Namespace Attachment",
        /// Keep Alive.
        KEEP_ALIVE = 0x18 => "Keep Alive",
        /// Directive Send.
        DIRECTIVE_SEND = 0x19 => "Directive Send",
        /// Directive Receive.
        DIRECTIVE_RECEIVE = 0x1a => "Directive Receive",
        /// Virtualization Management.
        VIRTUALIZATION_MANAGEMENT = 0x1c => "Virtualization Management",
        /// NVMe-MI Send.
        NVME_MI_SEND = 0x1d => "NVMe-MI Send",
        /// NVMe-MI Receive.
        NVME_MI_RECEIVE = 0x1e => "NVMe-MI Receive",
        /// Capacity Management.
        CAPACITY_MANAGEMENT = 0x20 => "Capacity Management",
        /// Discovery Information Management (discovery controllers).
        DISCOVERY_INFO_MGMT = 0x21 => "Discovery Information Management",
        /// Lockdown.
        LOCKDOWN = 0x24 => "Lockdown",
        /// Doorbell Buffer Config.
        DOORBELL_BUFFER_CONFIG = 0x7c => "Doorbell Buffer Config",
        /// Format NVM.
        FORMAT_NVM = 0x80 => "Format NVM",
        /// Security Send.
        SECURITY_SEND = 0x81 => "Security Send",
        /// Security Receive.
        SECURITY_RECEIVE = 0x82 => "Security Receive",
        /// Sanitize.
        SANITIZE = 0x84 => "Sanitize",
        /// Get LBA Status.
        GET_LBA_STATUS = 0x86 => "Get LBA Status",
    }
}

open_enum! {
    /// I/O command opcode of the NVM and Zoned Namespace command sets.
    NvmOpcode {
        /// Flush.
        FLUSH = 0x00 => "Flush",
        /// Write.
        WRITE = 0x01 => "Write",
        /// Read.
        READ = 0x02 => "Read",
        /// Write Uncorrectable.
        WRITE_UNCORRECTABLE = 0x04 => "Write Uncorrectable",
        /// Compare.
        COMPARE = 0x05 => "Compare",
        /// Write Zeroes.
        WRITE_ZEROES = 0x08 => "Write Zeroes",
        /// Dataset Management.
        DATASET_MANAGEMENT = 0x09 => "Dataset Management",
        /// Verify.
        VERIFY = 0x0c => "Verify",
        /// Reservation Register.
        RESERVATION_REGISTER = 0x0d => "Reservation Register",
        /// Reservation Report.
        RESERVATION_REPORT = 0x0e => "Reservation Report",
        /// Reservation Acquire.
        RESERVATION_ACQUIRE = 0x11 => "Reservation Acquire",
        /// I/O Management Receive (Flexible Data Placement).
        IO_MGMT_RECV = 0x12 => "I/O Management Receive",
        /// Reservation Release.
        RESERVATION_RELEASE = 0x15 => "Reservation Release",
        /// Copy.
        COPY = 0x19 => "Copy",
        /// I/O Management Send (Flexible Data Placement).
        IO_MGMT_SEND = 0x1d => "I/O Management Send",
        /// Zone Management Send (ZNS).
        ZONE_MGMT_SEND = 0x79 => "Zone Management Send",
        /// Zone Management Receive (ZNS).
        ZONE_MGMT_RECV = 0x7a => "Zone Management Receive",
        /// Zone Append (ZNS).
        ZONE_APPEND = 0x7d => "Zone Append",
    }
}

impl AdminOpcode {
    /// Bits 1:0 give the data direction (Base spec, "Opcodes for Admin Commands").
    pub const fn data_dir(self) -> crate::DataDir {
        crate::DataDir::from_opcode_bits(self.0)
    }
}

impl NvmOpcode {
    /// Bits 1:0 give the data direction (NVM Command Set, "Opcodes for NVM Commands").
    pub const fn data_dir(self) -> crate::DataDir {
        crate::DataDir::from_opcode_bits(self.0)
    }
}
