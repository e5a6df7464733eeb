//! Turning a command's outcome into a test result: parsing what it returned,
//! naming what failed, matching the status a test expects.

use nvmeq_core::{Completion, Error, Status};
use zerocopy::FromBytes;

use crate::runner::TestResult;

/// A data structure out of the bytes a command returned.
pub fn parse<T: FromBytes>(buf: &[u8]) -> Result<T, String> {
    T::read_from_bytes(buf).map_err(|_| {
        format!(
            "{} bytes do not make a {}",
            buf.len(),
            std::any::type_name::<T>()
        )
    })
}

/// `Err("what: error")`.
pub fn ctx_err(what: &str) -> impl FnOnce(Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Passes when `r` failed with the status code of `want` (SCT and SC; DNR,
/// More and CRD are the controller's choice).
pub fn expect_status(r: Result<Completion, Error>, want: Status) -> TestResult {
    match r {
        Err(Error::Status(s)) if s.matches_code(want) => Ok(format!("{s}")),
        Err(e) => Err(format!("expected status {want}, got error: {e}")),
        Ok(_) => Err(format!("expected status {want}, got success")),
    }
}
