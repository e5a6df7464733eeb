//! Vectored transfers (`NVME_URING_CMD_IO_VEC`, `NVME_URING_CMD_ADMIN_VEC`):
//! the `iovec` the kernel reads, and the cut of a caller's segments to
//! exactly the command's transfer length.
//!
//! For the `_VEC` operations `nvme_uring_cmd.addr` is the address of an
//! `iovec` array and `data_len` its count. The kernel reads the array when
//! it issues the command, which may be after `io_uring_enter` returns (from
//! an io-wq worker), so the array lives in the command's in-flight slot
//! (preallocated, [`UringOptions::max_segments`](crate::UringOptions::max_segments)
//! entries per slot) until the completion is reaped.

use nvmeq_core::{Error, VecData};
use nvmeq_linux::QueueLimits;

/// Segments per vectored command when [`UringOptions::max_segments`](crate::UringOptions::max_segments)
/// is not set.
pub const DEFAULT_MAX_SEGMENTS: u16 = 16;
/// The most segments per vectored command this backend takes (the kernel's
/// own limit, `UIO_MAXIOV`, is 1024; the block layer may bounce long lists).
pub const MAX_SEGMENTS: u16 = 64;

/// `struct iovec` from `include/uapi/linux/uio.h` (`void *iov_base; size_t
/// iov_len;`), with integer fields so the in-flight table holding it stays
/// `Send`. Same size, alignment and offsets as `libc::iovec` on every Linux ABI.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Iov {
    /// `iov_base`: the segment's user address.
    pub base: usize,
    /// `iov_len`: bytes of the segment the command uses.
    pub len: usize,
}

const _: () = assert!(core::mem::size_of::<Iov>() == core::mem::size_of::<libc::iovec>());
const _: () = assert!(core::mem::align_of::<Iov>() == core::mem::align_of::<libc::iovec>());
const _: () =
    assert!(core::mem::offset_of!(Iov, base) == core::mem::offset_of!(libc::iovec, iov_base));
const _: () =
    assert!(core::mem::offset_of!(Iov, len) == core::mem::offset_of!(libc::iovec, iov_len));

/// Fills `out` with iovecs covering exactly `need` bytes of `segs`
/// (address, length), in order: empty segments are skipped, the last segment
/// used is cut to what is still needed, and segments after it are left out
/// (the kernel never sees them). Returns how many iovecs were written.
///
/// Errors: [`Error::BufferTooSmall`] when the segments hold fewer than `need`
/// bytes (`have` is their total), [`Error::TooManySegments`] when covering
/// `need` takes more than `out.len()` segments, [`Error::ZeroLength`] when
/// `need` is 0. `out` may be
/// partly written on error.
pub(crate) fn fill_iovecs(
    out: &mut [Iov],
    segs: impl IntoIterator<Item = (usize, usize)>,
    need: u32,
) -> Result<usize, Error> {
    if need == 0 {
        return Err(Error::ZeroLength);
    }
    let mut left = need as usize;
    let (mut used, mut have) = (0usize, 0usize);
    for (base, len) in segs {
        if left == 0 {
            break;
        }
        if len == 0 {
            continue;
        }
        let take = len.min(left);
        if let Some(slot) = out.get_mut(used) {
            *slot = Iov { base, len: take };
        }
        used += 1;
        left -= take;
        have = have.saturating_add(len);
    }
    if left > 0 {
        return Err(Error::BufferTooSmall {
            need: need as u64,
            have,
        });
    }
    if used > out.len() {
        // The limit is the queue's UringOptions::max_segments.
        return Err(Error::TooManySegments {
            have: used,
            max: out.len(),
        });
    }
    Ok(used)
}

/// [`fill_iovecs`] over borrowed segments.
pub(crate) fn fill_borrowed(
    out: &mut [Iov],
    data: &mut VecData<'_, '_>,
    need: u32,
) -> Result<usize, Error> {
    match data {
        VecData::ToDevice(s) => {
            fill_iovecs(out, s.iter().map(|b| (b.as_ptr() as usize, b.len())), need)
        }
        VecData::FromDevice(s) => fill_iovecs(
            out,
            s.iter_mut().map(|b| (b.as_mut_ptr() as usize, b.len())),
            need,
        ),
    }
}

/// Refuses segments the namespace's block queue may fail to map (see
/// [`QueueLimits::check_mapping`]); without known limits the kernel decides.
pub(crate) fn check_mapping(iov: &[Iov], limits: Option<QueueLimits>) -> Result<(), Error> {
    match limits {
        Some(l) => l.check_mapping(iov.iter().map(|v| (v.base, v.len))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(lens: &[usize]) -> Vec<(usize, usize)> {
        // Distinct fake addresses: segment i starts at (i + 1) << 20.
        lens.iter()
            .enumerate()
            .map(|(i, &l)| ((i + 1) << 20, l))
            .collect()
    }

    #[test]
    fn segments_are_cut_to_exactly_the_transfer() {
        let mut out = [Iov::default(); 4];
        // 512 + 1536 + 4096 (+ a spare): 4096 bytes needed, the third is cut.
        let n = fill_iovecs(&mut out, segs(&[512, 1536, 4096, 4096]), 4096).unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            &out[..3],
            &[
                Iov {
                    base: 1 << 20,
                    len: 512
                },
                Iov {
                    base: 2 << 20,
                    len: 1536
                },
                Iov {
                    base: 3 << 20,
                    len: 2048
                },
            ]
        );
        assert_eq!(out[3], Iov::default(), "the spare segment is left out");
        // An exact fit uses every byte of every segment.
        let n = fill_iovecs(&mut out, segs(&[2048, 2048]), 4096).unwrap();
        assert_eq!((n, out[1].len), (2, 2048));
    }

    #[test]
    fn empty_segments_are_skipped_and_do_not_count() {
        let mut out = [Iov::default(); 2];
        let n = fill_iovecs(&mut out, segs(&[0, 100, 0, 0, 50]), 120).unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            out[0],
            Iov {
                base: 2 << 20,
                len: 100
            }
        );
        assert_eq!(
            out[1],
            Iov {
                base: 5 << 20,
                len: 20
            }
        );
    }

    #[test]
    fn too_few_bytes_is_buffer_too_small_with_the_total() {
        let mut out = [Iov::default(); 8];
        assert_eq!(
            fill_iovecs(&mut out, segs(&[512, 512, 1000]), 4096),
            Err(Error::BufferTooSmall {
                need: 4096,
                have: 2024
            })
        );
        assert_eq!(
            fill_iovecs(&mut out, segs(&[]), 1),
            Err(Error::BufferTooSmall { need: 1, have: 0 })
        );
    }

    #[test]
    fn too_many_segments_is_refused_but_only_when_needed() {
        let mut out = [Iov::default(); 2];
        assert!(matches!(
            fill_iovecs(&mut out, segs(&[1, 1, 1]), 3),
            Err(Error::TooManySegments { have: 3, max: 2 })
        ));
        // Too small wins over too many: it is what the caller must fix first.
        assert!(matches!(
            fill_iovecs(&mut out, segs(&[1, 1, 1]), 4),
            Err(Error::BufferTooSmall { need: 4, have: 3 })
        ));
        // Segments beyond the ones needed do not count against the limit.
        assert_eq!(fill_iovecs(&mut out, segs(&[2, 1, 1, 1, 1]), 3), Ok(2));
    }

    #[test]
    fn zero_length_transfers_are_not_vectored() {
        let mut out = [Iov::default(); 2];
        assert!(matches!(
            fill_iovecs(&mut out, segs(&[512]), 0),
            Err(Error::ZeroLength)
        ));
    }

    #[test]
    fn borrowed_segments_give_real_addresses() {
        let (a, b) = ([1u8; 3], [2u8; 5]);
        let s = [&a[..], &b[..]];
        let mut out = [Iov::default(); 2];
        assert_eq!(
            fill_borrowed(&mut out, &mut VecData::ToDevice(&s), 7),
            Ok(2)
        );
        assert_eq!(
            out,
            [
                Iov {
                    base: a.as_ptr() as usize,
                    len: 3
                },
                Iov {
                    base: b.as_ptr() as usize,
                    len: 4
                },
            ]
        );
    }
}
