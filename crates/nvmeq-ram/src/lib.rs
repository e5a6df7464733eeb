//! `nvmeq-ram`: an NVMe controller in memory, behind the [`Backend`] trait.
//!
//! Not a mock: [`RamController`] decodes every 64-byte submission entry the
//! way a device does, checks it as the specification says and answers with a
//! real completion entry, so code written against it behaves the same on a
//! real controller. It is the backend for tests, examples, benchmarks of the
//! layers above the transport, and machines without NVMe.
//!
//! # What it implements
//!
//! - **Admin**: Identify (Controller, Namespace, Active Namespace ID list,
//!   Namespace Identification Descriptors with an NGUID and the CSI, the NVM
//!   Command Set's Identify Controller, Controller Lists, Primary Controller
//!   Capabilities with no flexible resources, an empty Secondary Controller
//!   List, the I/O Command Set combinations, Identify Namespace for an LBA
//!   format; no UUID list, NVM Sets, domains or granularities), Get Log
//!   Page (Supported Log Pages, Error Information, SMART / Health
//!   Information, Firmware Slot Information, Changed Attached Namespace List,
//!   Commands Supported and Effects, Device Self-test, Telemetry Host- and
//!   Controller-Initiated with a capture per Create request, Persistent
//!   Event Log with its reporting context, LBA Status Information (empty),
//!   Feature Identifiers
//!   Supported and Effects, Changed Allocated Namespace List (not kept in
//!   the state file), Sanitize Status), Get / Set Features
//!   (Arbitration, Volatile Write Cache, Number of Queues; Select field
//!   honoured, nothing saveable), Device Self-test (short, extended, abort:
//!   the test advances one step per command executed and leaves its result
//!   in the log), Namespace Management (create from the unallocated part of
//!   `RamConfig::capacity`, delete one or all) and Namespace Attachment
//!   (attach, detach; a detached namespace is inactive: Identify lists it
//!   only as allocated, CNS 10h/11h, and I/O to it fails with Invalid
//!   Namespace or Format; the Changed Attached Namespace List records it),
//!   Firmware Image Download and Commit (three slots, slot 1 read-only;
//!   actions 0 to 3; the Firmware Slot Information log and FR follow),
//!   Sanitize (block erase, crypto erase, overwrite with passes and
//!   inversion; SANICAP, and the Sanitize Status log follows), Directive
//!   Receive and Send (the Identify directive only: Streams and Data
//!   Placement are not supported and refused with Invalid Field in
//!   Command), Get LBA Status (both actions: no potentially unrecoverable
//!   blocks, an empty list, complete), Security Receive of protocol 00h's
//!   Supported Security Protocols List (00h and EAh), and RPMB over
//!   protocol EAh (two 128 KiB targets, HMAC SHA-256: key programming once,
//!   the Write Counter, authenticated data and Device Configuration Block
//!   writes and reads, every failure as the spec's result code; every
//!   other protocol: Invalid Field in Command). No Capacity Management, Lockdown or
//!   I/O Management: Invalid Command Opcode.
//! - **NVM**: Read, Write, Flush, Write Zeroes, Dataset Management
//!   (deallocate), Compare, Verify, Copy (descriptor format 0h). Deallocated
//!   and never-written blocks read as zeroes (DLFEAT 001b).
//! - **Metadata and end-to-end protection**: `RamConfig`'s `ms`, `extended`
//!   and `pi` choose the format (separate or interleaved metadata; PI Type 1,
//!   2 or 3 with 16b, 32b or 64b guard, storage tag, first or last), which
//!   Identify Namespace (LBAF MS, FLBAS, MC, DPC, DPS) and the NVM command
//!   set's Identify Namespace (CNS 05h: ELBAF PIF and STS) report. Metadata is
//!   stored; PRCHK checks the guard, application, reference and storage tags;
//!   PRACT inserts PI on Write and Write Zeroes and strips it on Read. A
//!   command on a separate-metadata format without a metadata buffer is
//!   refused before it runs ([`Error::MetadataRequired`](nvmeq_core::Error::MetadataRequired))
//!   unless PRACT leaves no metadata to move.
//! - **Statuses**: Invalid Command Opcode, Invalid Field in Command (including
//!   a transfer above MDTS), Invalid Namespace or Format, LBA Out of Range,
//!   Compare Failure (Media and Data Integrity Errors, SC 85h), Invalid Log
//!   Page, Feature Identifier Not Saveable, Command Size Limit Exceeded,
//!   Namespace Insufficient Capacity, Namespace Identifier Unavailable,
//!   Thin Provisioning Not Supported, Invalid Format, I/O Command Set Not
//!   Supported, Namespace Already Attached, Namespace Not Attached,
//!   Controller List Invalid, Invalid Firmware Slot, Invalid Firmware
//!   Image, Overlapping Range,
//!   Invalid Protection Information, End-to-end Guard, Application Tag,
//!   Reference Tag and Storage Tag Check Errors, Device Self-test In
//!   Progress. Every
//!   failed command is appended to the Error Information log.
//! - **SMART**: Data Units Read/Written (thousands of 512-byte units, rounded
//!   up; Read, Compare and Verify count as reads, Write as writes), Host
//!   Read/Write Commands, Number of Error Information Log Entries. Times,
//!   power cycles and media errors stay zero.
//!
//! # Memory
//!
//! Namespaces are sparse: storage is allocated in chunks when first written,
//! and Write Zeroes or a deallocate that covers a whole chunk frees it, so
//! `RamConfig::new(1 << 40, 4096)` costs a table of at most 65536 slots.
//!
//! # State in a file
//!
//! [`RamController::open_file`] keeps the whole controller in a file:
//! namespaces (allocation, attachment, data and metadata, only the non-zero
//! chunks), SMART counters, the Error Information, Device Self-test,
//! Telemetry, Persistent Event, Changed Namespace and Sanitize Status logs,
//! the features, and the firmware slots with any image downloaded so far.
//! It loads when the controller opens and is written back, atomically,
//! when it drops, on every Flush command and on [`RamController::save`];
//! reopening is not a reset,
//! so the next process sees the controller exactly as the last one left
//! it. A lock keeps a second process out while one has it open. The file's
//! layout and checks are described in the `state` module's source.
//! Without a file the controller does no I/O.
//!
//! # The queue interface
//!
//! [`Backend::push`] checks the buffer (before anything executes, a short
//! buffer is [`Error::BufferTooSmall`](nvmeq_core::Error::BufferTooSmall)) and
//! stores the command in a queue allocated once with the configured depth;
//! when the queue is full the command comes back as
//! [`Rejected::Full`](nvmeq_core::Rejected::Full) (back-pressure).
//! [`Backend::submit`] executes every queued command in order and
//! [`Backend::reap`] hands back completions with their buffers. After warm-up
//! (storage chunks touched) this path allocates nothing: `tests/no_alloc.rs`
//! proves it with a counting allocator.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod admin;
mod buf;
mod config;
mod controller;
mod directive;
mod event_log;
mod firmware;
mod health;
mod identify;
mod lba_status;
mod log_page;
mod media;
mod meta;
mod ns_mgmt;
mod nvm;
mod rpmb;
mod sanitize;
mod security;
mod self_test;
mod state;
pub mod status;
mod telemetry;

pub use buf::RamBuf;
pub use config::{ConfigError, RamConfig, MAX_MS};
pub use controller::RamController;
pub use identify::{DLFEAT, FR, MN, ONCS, VER};
pub use nvmeq_core::Backend;
pub use self_test::{EXTENDED_STEPS, SHORT_STEPS};
pub use state::{StateError, StateErrorKind, STATE_MAGIC, STATE_VERSION};
