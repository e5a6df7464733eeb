//! Names of every status code, per Status Code Type (Base spec "Generic Command
//! Status Values", "Command Specific Status Values", "Media and Data Integrity
//! Error Values", "Path Related Status Values"; NVM and Zoned Namespace command
//! set specifications for their codes).

/// The specification's name for a status code, if any.
pub(crate) const fn name(sct: u8, sc: u8) -> Option<&'static str> {
    let n = match (sct, sc) {
        (0, 0x00) => "Successful Completion",
        (0, 0x01) => "Invalid Command Opcode",
        (0, 0x02) => "Invalid Field in Command",
        (0, 0x04) => "Data Transfer Error",
        (0, 0x06) => "Internal Error",
        (0, 0x0b) => "Invalid Namespace or Format",
        (0, 0x80) => "LBA Out of Range",
        (0, 0x81) => "Capacity Exceeded",
        (1, 0x85) => "Compare Failure",
        _ => return None,
    };
    Some(n)
}
