//! The typed errors: each condition has its own variant, sources are kept,
//! and the messages name the numbers involved.

use std::error::Error as _;

use nvmeq_core::backend::check_len;
use nvmeq_core::prp::PrpError;
use nvmeq_core::sgl::SglError;
use nvmeq_core::{DataDir, Error};

#[test]
fn errors_stay_small() {
    // Returned on every hot-path call and carried in each Rejected.
    assert!(
        std::mem::size_of::<Error>() <= 32,
        "{}",
        std::mem::size_of::<Error>()
    );
}

#[test]
fn bad_argument_names_the_argument() {
    let e = Error::BadArgument(&nvmeq_core::error::BadArg {
        name: "depth",
        why: "must be a power of two",
    });
    assert_eq!(e.to_string(), "invalid depth: must be a power of two");
    assert!(matches!(e, Error::BadArgument(a) if a.name == "depth"));
}

#[test]
fn check_len_names_the_condition() {
    assert_eq!(check_len(4096, 4096), Ok(4096));
    assert_eq!(
        check_len(4097, 4096),
        Err(Error::BufferTooSmall {
            need: 4097,
            have: 4096
        })
    );
    let big = 1u64 << 32;
    assert_eq!(
        check_len(big, usize::MAX),
        Err(Error::TransferTooLarge { len: big })
    );
}

#[test]
fn prp_and_sgl_errors_are_sources() {
    let e = Error::from(SglError::TooLong);
    assert_eq!(e, Error::Sgl(SglError::TooLong));
    assert_eq!(
        e.source().map(|s| s.to_string()),
        Some(SglError::TooLong.to_string())
    );
    let p = PrpError::AddressOverflow;
    assert!(matches!(
        Error::from(p),
        Error::Prp(PrpError::AddressOverflow)
    ));
    assert!(Error::ZeroLength.source().is_none());
}

#[test]
fn messages_carry_the_fields() {
    let e = Error::DirectionMismatch {
        opcode: 0x02,
        dir: DataDir::ToDevice,
    };
    assert!(e.to_string().contains("0x02"), "{e}");
    assert!(e.to_string().contains("ToDevice"), "{e}");
    let e = Error::WaitExceedsInFlight {
        want: 3,
        in_flight: 1,
    };
    assert!(e.to_string().contains("3 completions") && e.to_string().contains("1 commands"));
    let e = Error::TooManySegments { have: 65, max: 64 };
    assert!(e.to_string().starts_with("65 buffer segments"), "{e}");
    let e = Error::NotBlockMultiple {
        len: 4095,
        lba_size: 4096,
    };
    assert!(e.to_string().contains("4095") && e.to_string().contains("4096"));
    // Distinct conditions stay distinct.
    assert_ne!(Error::MetadataRequired, Error::MetadataForbidden);
}
