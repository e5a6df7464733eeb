//! What a passthrough CQE means (the command structs and numbers are
//! `nvmeq_linux::uapi`).

use nvmeq_core::{Completion, Error, Status};

/// What a passthrough CQE means: `res` < 0 is an errno from the kernel,
/// `res` > 0 is the NVMe status (15 bits, without the phase tag), 0 is
/// success; the big CQE's first extra u64 is the 64-bit command result
/// (completion dwords 0 and 1).
pub fn decode_completion(res: i32, result: u64) -> Result<Completion, Error> {
    if res < 0 {
        return Err(Error::Os {
            op: "IORING_OP_URING_CMD",
            errno: res.saturating_neg(),
        });
    }
    if res > 0x7fff {
        // Not a status the driver can produce; report it rather than truncate.
        return Err(Error::Os {
            op: "IORING_OP_URING_CMD (result is neither an errno nor an NVMe status)",
            errno: res,
        });
    }
    Completion::from_result(result, Status::from_bits(res as u16)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::Sct;

    #[test]
    fn completion_decoding() {
        let ok = decode_completion(0, 0x0000_0002_0000_0001).unwrap();
        assert_eq!((ok.dw0, ok.dw1), (1, 2));
        assert_eq!(
            decode_completion(-5, 0),
            Err(Error::Os {
                op: "IORING_OP_URING_CMD",
                errno: 5
            })
        );
        // LBA Out of Range with DNR: sct 0, sc 0x80, dnr bit 14.
        let err = decode_completion(0x4080, 0).unwrap_err();
        match err {
            Error::Status(s) => {
                assert_eq!(s.sct(), Sct::GENERIC);
                assert_eq!(s.sc(), 0x80);
                assert!(s.dnr());
                assert_eq!(s.name(), Some("LBA Out of Range"));
            }
            other => panic!("expected a status, got {other:?}"),
        }
        assert!(decode_completion(0x1_0000, 0).is_err());
    }
}
