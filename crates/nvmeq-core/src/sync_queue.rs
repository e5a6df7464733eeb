//! [`SyncQueue`]: the queue interface for a backend whose commands run
//! synchronously (the ram controller, blocking ioctls).
//!
//! [`push`](SyncQueue::push) stores the command and moves its buffer in;
//! [`submit`](crate::Backend::submit) runs each pushed command in order
//! ([`check_wait`](SyncQueue::check_wait), then
//! [`run_pending`](SyncQueue::run_pending), which runs them where they sit,
//! or [`take_next`](SyncQueue::take_next) and [`finish`](SyncQueue::finish)
//! one at a time); [`reap`](SyncQueue::reap) hands the
//! completions back with their buffers. [`push_with`](SyncQueue::push_with)
//! queues a separate metadata buffer with the data; both stay owned by the
//! queue from `push` until `reap`. No allocation: the storage is the
//! backend's ([`Fifo`]), sized once.

use crate::backend::{Data, IoBuf, Reaped, Rejected, WithMeta};
use crate::cmd::{Cmd, DataDir};
use crate::cqe::Completion;
use crate::error::Error;

/// First-in first-out storage of fixed capacity.
pub trait Fifo<T> {
    /// Appends `t`, or hands it back when full.
    fn push_back(&mut self, t: T) -> Result<(), T>;
    /// Removes the oldest element.
    fn pop_front(&mut self) -> Option<T>;
    /// The number of elements.
    fn len(&self) -> usize;
    /// True when empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Hands each element to `f` where it sits, oldest first, then empties
    /// the storage. Storage that can iterate in place overrides this default,
    /// which pops (moves) each element out first.
    fn drain_in_place(&mut self, mut f: impl FnMut(&mut T)) {
        while let Some(mut t) = self.pop_front() {
            f(&mut t);
        }
    }
}

impl<T, const N: usize> Fifo<T> for heapless::Deque<T, N> {
    #[inline]
    fn push_back(&mut self, t: T) -> Result<(), T> {
        heapless::Deque::push_back(self, t)
    }
    #[inline]
    fn pop_front(&mut self) -> Option<T> {
        heapless::Deque::pop_front(self)
    }
    #[inline]
    fn len(&self) -> usize {
        heapless::Deque::len(self)
    }
    #[inline]
    fn drain_in_place(&mut self, mut f: impl FnMut(&mut T)) {
        for t in self.iter_mut() {
            f(t);
        }
        self.clear();
    }
}

/// A pushed command waiting for [`submit`](crate::Backend::submit).
#[derive(Debug)]
pub struct Queued<B> {
    /// The command.
    pub cmd: Cmd,
    /// Its buffer, owned by the queue.
    pub buf: Option<B>,
    /// The caller's tag.
    pub tag: u64,
    /// Bytes of `buf` the command transfers (checked at push, or the whole
    /// buffer for a backend that checks when it runs the command).
    pub len: u32,
    /// Its separate metadata buffer ([`SyncQueue::push_with`]), owned by the queue.
    pub meta: Option<B>,
    /// Bytes of `meta` the command transfers, as `len` is for `buf`.
    pub meta_len: u32,
}

impl<B: IoBuf> Queued<B> {
    /// The command's data: the first `len` bytes of its buffer, in the
    /// command's direction.
    #[inline]
    pub fn data(&mut self) -> Data<'_> {
        data_of(&mut self.buf, self.cmd.dir, self.len)
    }

    /// The command's data and metadata ([`Data::None`] without a metadata
    /// buffer), each cut to its length, in the command's direction.
    #[inline]
    pub fn data_and_meta(&mut self) -> (Data<'_>, Data<'_>) {
        (
            data_of(&mut self.buf, self.cmd.dir, self.len),
            data_of(&mut self.meta, self.cmd.dir, self.meta_len),
        )
    }
}

/// The first `len` bytes of `buf`, in direction `dir`.
#[inline]
fn data_of<B: IoBuf>(buf: &mut Option<B>, dir: DataDir, len: u32) -> Data<'_> {
    let len = len as usize;
    match (buf, dir) {
        (None, _) => Data::None,
        (Some(b), DataDir::ToDevice) => Data::ToDevice(&b.as_slice()[..len]),
        (Some(b), DataDir::None) => Data::ToDevice(&b.as_slice()[..0]),
        (Some(b), DataDir::FromDevice | DataDir::Both) => {
            Data::FromDevice(&mut b.as_mut_slice()[..len])
        }
    }
}

/// Pushed commands and their completions, at most `depth` of them together.
#[derive(Debug)]
pub struct SyncQueue<B, P, D> {
    pending: P,
    done: D,
    depth: u32,
    _buf: core::marker::PhantomData<B>,
}

impl<B, P, D> SyncQueue<B, P, D>
where
    P: Fifo<Queued<B>>,
    D: Fifo<Reaped<B>>,
{
    /// A queue over `pending` and `done`, each able to hold `depth` entries.
    pub fn new(pending: P, done: D, depth: u32) -> Self {
        SyncQueue {
            pending,
            done,
            depth,
            _buf: core::marker::PhantomData,
        }
    }

    /// Commands pushed and not yet reaped.
    #[inline]
    pub fn in_flight(&self) -> u32 {
        (self.pending.len() + self.done.len()) as u32
    }

    /// Queues a command whose buffer was checked (`len` bytes transfer).
    /// A full queue (completions not yet reaped count) hands it back.
    #[inline]
    pub fn push(
        &mut self,
        cmd: &Cmd,
        buf: Option<B>,
        tag: u64,
        len: u32,
    ) -> Result<(), Rejected<B>> {
        if self.in_flight() >= self.depth {
            return Err(Rejected::Full(buf));
        }
        let q = Queued {
            cmd: *cmd,
            buf,
            tag,
            len,
            meta: None,
            meta_len: 0,
        };
        self.pending.push_back(q).map_err(|q| Rejected::Full(q.buf))
    }

    /// Queues a command with a separate metadata buffer: `len` bytes of
    /// `data` and `meta_len` bytes of `meta` transfer (checked, as for
    /// [`push`](Self::push)). A full queue hands both back.
    #[inline]
    pub fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<B>,
        meta: Option<B>,
        tag: u64,
        len: u32,
        meta_len: u32,
    ) -> Result<(), Rejected<WithMeta<B>>> {
        if self.in_flight() >= self.depth {
            return Err(Rejected::Full(Some(WithMeta { data, meta })));
        }
        let q = Queued {
            cmd: *cmd,
            buf: data,
            tag,
            len,
            meta,
            meta_len,
        };
        self.pending.push_back(q).map_err(|q| {
            Rejected::Full(Some(WithMeta {
                data: q.buf,
                meta: q.meta,
            }))
        })
    }

    /// The check [`submit`](crate::Backend::submit) makes first: waiting for
    /// more completions than commands in flight would never return.
    #[inline]
    pub fn check_wait(&self, min_complete: u32) -> Result<(), Error> {
        if min_complete > self.in_flight() {
            return Err(Error::WaitExceedsInFlight {
                want: min_complete,
                in_flight: self.in_flight(),
            });
        }
        Ok(())
    }

    /// The oldest pushed command, to run now and [`finish`](Self::finish).
    #[inline]
    pub fn take_next(&mut self) -> Option<Queued<B>> {
        self.pending.pop_front()
    }

    /// Records the result of a command taken with [`take_next`](Self::take_next).
    #[inline]
    pub fn finish(&mut self, q: Queued<B>, result: Result<Completion, Error>) {
        let r = Reaped {
            tag: q.tag,
            result,
            buf: q.buf,
            meta: q.meta,
        };
        // Cannot fail: push keeps pending + done within `depth`, which both
        // hold. Were it to, the buffer is dropped after its completion.
        let _ = self.done.push_back(r);
    }

    /// Runs every pushed command with `run`, oldest first, where it sits
    /// (no copy of its 64-byte entry), and records each result as a
    /// completion. Returns how many ran. The alternative to
    /// [`take_next`](Self::take_next) and [`finish`](Self::finish), for a
    /// backend that takes no metadata buffers: a command pushed with one
    /// ([`push_with`](Self::push_with)) fails with
    /// [`Error::NotSupported`] without running; use
    /// [`run_pending_with`](Self::run_pending_with) instead.
    #[inline]
    pub fn run_pending(
        &mut self,
        mut run: impl FnMut(&Cmd, Data<'_>) -> Result<Completion, Error>,
    ) -> u32
    where
        B: IoBuf,
    {
        self.run_pending_with(|cmd, data, meta| match meta {
            Data::None => run(cmd, data),
            _ => Err(Error::NotSupported(crate::error::Feature::Metadata)),
        })
    }

    /// [`run_pending`](Self::run_pending) handing `run` each command's
    /// metadata too ([`Data::None`] for one pushed without).
    #[inline]
    pub fn run_pending_with(
        &mut self,
        mut run: impl FnMut(&Cmd, Data<'_>, Data<'_>) -> Result<Completion, Error>,
    ) -> u32
    where
        B: IoBuf,
    {
        let done = &mut self.done;
        let mut n = 0;
        self.pending.drain_in_place(|q| {
            let mut buf = q.buf.take();
            let mut meta = q.meta.take();
            let result = run(
                &q.cmd,
                data_of(&mut buf, q.cmd.dir, q.len),
                data_of(&mut meta, q.cmd.dir, q.meta_len),
            );
            // Cannot fail, as in `finish`.
            let _ = done.push_back(Reaped {
                tag: q.tag,
                result,
                buf,
                meta,
            });
            n += 1;
        });
        n
    }

    /// Hands every completion to `f`, oldest first. Returns how many.
    #[inline]
    pub fn reap(&mut self, mut f: impl FnMut(Reaped<B>)) -> usize {
        let mut n = 0;
        while let Some(r) = self.done.pop_front() {
            f(r);
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::{Flush, Read};
    use crate::status::Status;

    #[derive(Debug)]
    struct Buf([u8; 8]);
    impl IoBuf for Buf {
        fn as_slice(&self) -> &[u8] {
            &self.0
        }
        fn as_mut_slice(&mut self) -> &mut [u8] {
            &mut self.0
        }
    }

    type Q = SyncQueue<Buf, heapless::Deque<Queued<Buf>, 4>, heapless::Deque<Reaped<Buf>, 4>>;

    #[test]
    fn runs_in_order_bounds_depth_and_hands_buffers_back() {
        let mut q: Q = SyncQueue::new(heapless::Deque::new(), heapless::Deque::new(), 2);
        let read = Read::new(1, 0, 0).build();
        q.push(&read, Some(Buf([0; 8])), 7, 4).unwrap();
        q.push(&Flush::new(1).build(), None, 8, 0).unwrap();
        match q.push(&read, Some(Buf([1; 8])), 9, 4) {
            Err(Rejected::Full(Some(b))) => assert_eq!(b.0, [1; 8]),
            other => panic!("expected Full with the buffer, got {other:?}"),
        }
        assert!(q.check_wait(2).is_ok());
        assert!(matches!(
            q.check_wait(3),
            Err(Error::WaitExceedsInFlight { want: 3, .. })
        ));
        let mut first = q.take_next().unwrap();
        match first.data() {
            Data::FromDevice(d) => {
                assert_eq!(d.len(), 4, "cut to the checked length");
                d.fill(0xab);
            }
            other => panic!("{other:?}"),
        }
        q.finish(first, Ok(Completion::from_result(0, Status::SUCCESS)));
        let mut second = q.take_next().unwrap();
        assert!(matches!(second.data(), Data::None));
        q.finish(second, Err(Error::Timeout { ms: 1 }));
        assert!(q.take_next().is_none());
        assert_eq!(
            q.in_flight(),
            2,
            "completions occupy the queue until reaped"
        );
        let mut got = heapless::Vec::<_, 4>::new();
        assert_eq!(
            q.reap(|r| got.push((r.tag, r.result.is_ok(), r.buf)).unwrap()),
            2
        );
        assert_eq!((got[0].0, got[0].1), (7, true));
        assert_eq!(
            got[0].2.as_ref().unwrap().0,
            [0xab, 0xab, 0xab, 0xab, 0, 0, 0, 0]
        );
        assert_eq!((got[1].0, got[1].1), (8, false));
        assert_eq!(q.in_flight(), 0);
    }

    /// A `Fifo` without its own `drain_in_place`: the default, popping.
    #[derive(Debug, Default)]
    struct Popping(heapless::Deque<Queued<Buf>, 4>);
    impl Fifo<Queued<Buf>> for Popping {
        fn push_back(&mut self, t: Queued<Buf>) -> Result<(), Queued<Buf>> {
            self.0.push_back(t)
        }
        fn pop_front(&mut self) -> Option<Queued<Buf>> {
            self.0.pop_front()
        }
        fn len(&self) -> usize {
            self.0.len()
        }
    }

    fn run_pending_on<P: Fifo<Queued<Buf>>>(pending: P) {
        let mut q = SyncQueue::new(pending, heapless::Deque::<Reaped<Buf>, 4>::new(), 4);
        q.push(&Read::new(1, 0, 0).build(), Some(Buf([0; 8])), 7, 4)
            .unwrap();
        q.push(&Flush::new(1).build(), None, 8, 0).unwrap();
        let mut seen = heapless::Vec::<_, 4>::new();
        let ran = q.run_pending(|cmd, data| {
            let len = match data {
                Data::FromDevice(d) => {
                    d.fill(0xcd);
                    d.len()
                }
                Data::None => 0,
                Data::ToDevice(_) => panic!("no write was pushed"),
            };
            seen.push((cmd.sqe.opcode(), len)).unwrap();
            if len == 0 {
                Err(Error::Timeout { ms: 1 })
            } else {
                Ok(Completion::from_result(0, Status::SUCCESS))
            }
        });
        assert_eq!(ran, 2);
        assert_eq!(seen[0].1, 4, "cut to the checked length");
        assert_eq!(seen[1], (Flush::new(1).build().sqe.opcode(), 0));
        assert_eq!(q.run_pending(|_, _| panic!("nothing left to run")), 0);
        assert_eq!(
            q.in_flight(),
            2,
            "completions occupy the queue until reaped"
        );
        let mut got = heapless::Vec::<_, 4>::new();
        q.reap(|r| got.push((r.tag, r.result.is_ok(), r.buf)).unwrap());
        assert_eq!((got[0].0, got[0].1), (7, true));
        assert_eq!(
            got[0].2.as_ref().unwrap().0,
            [0xcd, 0xcd, 0xcd, 0xcd, 0, 0, 0, 0],
            "the buffer comes back with what the command wrote"
        );
        assert_eq!((got[1].0, got[1].1, got[1].2.is_none()), (8, false, true));
        assert_eq!(q.in_flight(), 0);
    }

    #[test]
    fn metadata_travels_with_its_command_and_comes_back() {
        let mut q: Q = SyncQueue::new(heapless::Deque::new(), heapless::Deque::new(), 2);
        let read = Read::new(1, 0, 0).build();
        q.push_with(&read, Some(Buf([0; 8])), Some(Buf([0; 8])), 7, 8, 2)
            .unwrap();
        q.push(&Flush::new(1).build(), None, 8, 0).unwrap();
        match q.push_with(&read, Some(Buf([1; 8])), Some(Buf([2; 8])), 9, 8, 2) {
            Err(Rejected::Full(Some(WithMeta {
                data: Some(d),
                meta: Some(m),
            }))) => assert_eq!((d.0, m.0), ([1; 8], [2; 8]), "both handed back"),
            other => panic!("expected Full with both buffers, got {other:?}"),
        }
        let mut first = q.take_next().unwrap();
        match first.data_and_meta() {
            (Data::FromDevice(d), Data::FromDevice(m)) => {
                assert_eq!((d.len(), m.len()), (8, 2), "each cut to its length");
                d.fill(0x11);
                m.fill(0x22);
            }
            other => panic!("{other:?}"),
        }
        q.finish(first, Ok(Completion::from_result(0, Status::SUCCESS)));
        let mut second = q.take_next().unwrap();
        assert!(matches!(second.data_and_meta(), (Data::None, Data::None)));
        q.finish(second, Ok(Completion::from_result(0, Status::SUCCESS)));
        let mut got = heapless::Vec::<_, 4>::new();
        q.reap(|r| got.push((r.tag, r.buf, r.meta)).unwrap());
        let (tag, buf, meta) = &got[0];
        assert_eq!(*tag, 7);
        assert_eq!(buf.as_ref().unwrap().0, [0x11; 8]);
        assert_eq!(meta.as_ref().unwrap().0, [0x22, 0x22, 0, 0, 0, 0, 0, 0]);
        assert!(got[1].2.is_none(), "no metadata pushed, none returned");
    }

    #[test]
    fn run_pending_with_hands_metadata_and_run_pending_refuses_it() {
        let mut q: Q = SyncQueue::new(heapless::Deque::new(), heapless::Deque::new(), 4);
        let read = Read::new(1, 0, 0).build();
        q.push_with(&read, Some(Buf([0; 8])), Some(Buf([0; 8])), 1, 8, 4)
            .unwrap();
        let ran = q.run_pending_with(|_, _, meta| match meta {
            Data::FromDevice(m) => {
                m.fill(0x33);
                Ok(Completion::from_result(0, Status::SUCCESS))
            }
            other => panic!("{other:?}"),
        });
        assert_eq!(ran, 1);
        q.push_with(&read, Some(Buf([0; 8])), Some(Buf([0; 8])), 2, 8, 4)
            .unwrap();
        assert_eq!(q.run_pending(|_, _| panic!("must not run")), 1);
        let mut got = heapless::Vec::<_, 4>::new();
        q.reap(|r| got.push((r.result, r.meta)).unwrap());
        assert!(got[0].0.is_ok());
        assert_eq!(
            got[0].1.as_ref().unwrap().0,
            [0x33, 0x33, 0x33, 0x33, 0, 0, 0, 0]
        );
        assert_eq!(
            got[1].0,
            Err(Error::NotSupported(crate::error::Feature::Metadata))
        );
        assert!(got[1].1.is_some(), "the metadata buffer still comes back");
    }

    #[test]
    fn run_pending_runs_in_order_in_place() {
        run_pending_on(heapless::Deque::<Queued<Buf>, 4>::new());
    }

    #[test]
    fn run_pending_by_popping_is_the_same() {
        run_pending_on(Popping::default());
    }
}
