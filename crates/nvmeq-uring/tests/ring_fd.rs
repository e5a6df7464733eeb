//! The registered ring fd (`UringOptions::register_ring_fd`) on loopback
//! rings: registered by the first enter, used only on the thread that
//! registered it, and a refused registration falls back to the plain fd.

use nvmeq_core::cmd::Flush;
use nvmeq_core::Backend;
use nvmeq_uring::{Uring, UringOptions};

fn ring(opts: UringOptions) -> Uring {
    Uring::loopback(opts.depth(8), 512).expect("loopback ring")
}

/// Four flushes through push, one submit and reap.
fn round_trip(u: &mut Uring) {
    for t in 0..4 {
        u.push(&Flush::new(1).build(), None, t).unwrap();
    }
    assert_eq!(u.submit(4).unwrap(), 4);
    let mut n = 0u32;
    while n < 4 {
        n += u.reap(|r| assert!(r.result.unwrap().status().is_success())) as u32;
        if n < 4 {
            u.submit(4 - n).unwrap();
        }
    }
    assert_eq!(u.in_flight(), 0);
}

/// Kernels before 5.18 refuse the registration with EINVAL; the ring works
/// all the same, and these tests then check only that.
fn supported(u: &Uring) -> bool {
    match u.ring_fd_refused() {
        None => true,
        Some(libc::EINVAL) => {
            eprintln!("this kernel has no registered ring fds (EINVAL): fallback only");
            false
        }
        Some(e) => panic!("registration refused with errno {e} on a fresh thread"),
    }
}

#[test]
fn the_first_enter_registers_the_ring_fd_when_asked() {
    assert!(!ring(UringOptions::new()).ring_fd_registered());
    let mut u = ring(UringOptions::new().register_ring_fd(true));
    assert!(
        !u.ring_fd_registered(),
        "nothing registered before an enter"
    );
    round_trip(&mut u);
    if supported(&u) {
        assert!(u.ring_fd_registered());
    }
    let enters = u.syscalls().unwrap();
    round_trip(&mut u);
    assert_eq!(
        u.syscalls().unwrap() - enters,
        1,
        "registered or not, one enter per submit"
    );
}

#[test]
fn switched_off_it_never_registers() {
    let mut u = ring(UringOptions::new().register_ring_fd(false));
    round_trip(&mut u);
    round_trip(&mut u);
    assert!(!u.ring_fd_registered());
    assert_eq!(u.ring_fd_refused(), None);
}

#[test]
fn another_thread_enters_through_the_plain_fd() {
    let mut u = ring(UringOptions::new().register_ring_fd(true));
    round_trip(&mut u);
    let registered_here = u.ring_fd_registered();
    let u = std::thread::spawn(move || {
        // That thread's table does not have this ring: the index is not used.
        assert!(!u.ring_fd_registered());
        let mut u = u;
        round_trip(&mut u);
        assert!(!u.ring_fd_registered(), "no second registration there");
        // A ring of that thread's own registers in that thread's table.
        let mut own = ring(UringOptions::new().register_ring_fd(true));
        round_trip(&mut own);
        assert_eq!(own.ring_fd_registered(), registered_here);
        u
    })
    .join()
    .unwrap();
    let mut u = u;
    assert_eq!(u.ring_fd_registered(), registered_here, "back home");
    round_trip(&mut u);
}

#[test]
fn a_full_table_falls_back_and_a_dropped_ring_frees_its_slot() {
    // The kernel keeps 16 registered rings per thread; this test's thread
    // starts with none.
    let mut rings: Vec<Uring> = (0..17)
        .map(|_| ring(UringOptions::new().register_ring_fd(true)))
        .collect();
    for u in &mut rings {
        round_trip(u);
    }
    if !supported(&rings[0]) {
        return;
    }
    assert!(rings[..16].iter().all(Uring::ring_fd_registered));
    assert!(!rings[16].ring_fd_registered());
    assert_eq!(rings[16].ring_fd_refused(), Some(libc::EBUSY));
    round_trip(&mut rings[16]);

    // Dropping a registered ring unregisters it: the next one gets its slot.
    rings.remove(3);
    let mut again = ring(UringOptions::new().register_ring_fd(true));
    round_trip(&mut again);
    assert!(again.ring_fd_registered());
    for u in &mut rings {
        round_trip(u);
    }
}
