//! Guest tests kept out of `guest_nvme_cli.rs` by subject; they share its
//! helpers through `super`.

pub mod bench;
pub mod fabrics;
pub mod human;
pub mod large_io;
pub mod logs;
pub mod media_logs;
pub mod mgmt;
pub mod mi;
pub mod ns_mgmt;
pub mod passthru;
pub mod property;
pub mod reachability;
pub mod registers;
pub mod reset;
pub mod rpmb;
pub mod subsystem_reset;
pub mod topology;
pub mod virt;
