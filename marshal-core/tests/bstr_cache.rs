//! The default allocator's per-thread cache of freed BSTR blocks (64-bit Linux): what it
//! keeps, what it refuses, and that a thread's cache is freed when the thread exits.
//!
//! Every test runs on a fresh thread, whose cache starts empty, and the tests take a lock:
//! the last one measures the process's heap.
#![cfg(all(target_os = "linux", target_pointer_width = "64"))]

use std::sync::Mutex;

use marshal_core::bstr::{self, thread_cache_len, Bstr};

static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `f` on a new thread (an empty cache) with the other tests of this file held off.
fn on_fresh_thread(f: impl FnOnce() + Send + 'static) {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::spawn(f).join().expect("the test thread panicked");
}

/// A BSTR of `units` code units, all 'a'.
fn bstr_of(units: usize) -> Bstr {
    Bstr::from_wide(&vec![0x61; units]).unwrap()
}

#[test]
fn a_freed_short_bstr_is_reused_for_the_next_of_its_size_class() {
    on_fresh_thread(|| {
        assert_eq!(thread_cache_len(), 0);
        let first = bstr_of(9);
        let block = first.as_ptr();
        drop(first);
        assert_eq!(thread_cache_len(), 1);
        // A different size class does not take it: 100 units need a 224-byte block, 9 a 32-byte one.
        let other = bstr_of(100);
        assert_ne!(other.as_ptr(), block);
        assert_eq!(thread_cache_len(), 1);
        // The same class does (10 units: 8 + 20 + 2 bytes, also a 32-byte block), with its
        // own prefix, payload and terminator.
        let again = Bstr::from_wide(&[0x62; 10]).unwrap();
        assert_eq!(again.as_ptr(), block);
        assert_eq!(thread_cache_len(), 0);
        assert_eq!(again.byte_len(), 20);
        assert_eq!(again.as_wide(), &[0x62; 10]);
        // SAFETY: the terminator follows the 10 units of a live BSTR.
        assert_eq!(unsafe { *again.as_ptr().add(10) }, 0);
    });
}

#[test]
fn each_class_keeps_at_most_eight_blocks() {
    on_fresh_thread(|| {
        let many: Vec<Bstr> = (0..20).map(|_| bstr_of(9)).collect();
        drop(many);
        assert_eq!(thread_cache_len(), 8);
    });
}

#[test]
fn blocks_over_256_bytes_go_back_to_malloc() {
    on_fresh_thread(|| {
        // 8 + 2 * 124 + 2 = 258 bytes: a 272-byte block, over the largest class.
        drop(bstr_of(124));
        assert_eq!(thread_cache_len(), 0);
        // 8 + 2 * 123 + 2 = 256 bytes: the largest class.
        drop(bstr_of(123));
        assert_eq!(thread_cache_len(), 1);
    });
}

#[test]
fn a_bstr_native_code_allocated_is_freed_not_cached() {
    on_fresh_thread(|| {
        for padding in [0u32, 0xFFFF_FFFF, 0x0000_0002, 0xB57A_C0C2] {
            // The layout native code may build (module docs): a malloc block, an 8-byte
            // header whose last 4 bytes are the byte length, the payload, a terminator.
            // SAFETY: a fresh 32-byte block, written within its bounds.
            let p = unsafe {
                let block = libc::malloc(32).cast::<u8>();
                assert!(!block.is_null());
                block.cast::<u32>().write_unaligned(padding);
                block.add(4).cast::<u32>().write_unaligned(18);
                core::ptr::write_bytes(block.add(8), 0x41, 18);
                block.add(26).cast::<u16>().write_unaligned(0);
                block.add(8).cast::<u16>()
            };
            // SAFETY: `p` follows the default allocator's layout and is not used again.
            unsafe { bstr::sys_free_string(p) };
            assert_eq!(thread_cache_len(), 0, "padding {padding:#x}");
        }
    });
}

#[test]
fn a_rewritten_length_prefix_does_not_move_a_block_to_a_larger_class() {
    on_fresh_thread(|| {
        let b = bstr_of(9);
        let block = b.as_ptr();
        let raw = b.into_raw();
        // Native code claims 200 bytes in a 32-byte block.
        // SAFETY: the prefix is the 4 bytes before a live BSTR.
        unsafe { raw.cast::<u8>().sub(4).cast::<u32>().write_unaligned(200) };
        // SAFETY: a live BSTR of the default allocator, freed once.
        unsafe { bstr::sys_free_string(raw) };
        assert_eq!(thread_cache_len(), 1);
        // A request of 200 bytes must not get the 32-byte block; one of 9 units does.
        let large = bstr_of(100);
        assert_ne!(large.as_ptr(), block);
        let small = bstr_of(9);
        assert_eq!(small.as_ptr(), block);
    });
}

#[test]
fn an_exiting_thread_frees_the_blocks_it_kept() {
    // Every class full: 8 blocks of each size from 16 to 256 bytes (17 KiB).
    let fill = || {
        let all: Vec<Bstr> =
            (1..=16usize).flat_map(|class| (0..8).map(move |_| bstr_of((class * 16 - 10) / 2))).collect();
        drop(all);
        assert_eq!(thread_cache_len(), 128);
    };
    // The first thread warms the process up (thread arena, tcache); the heap in use is
    // then measured around a second one.
    on_fresh_thread(fill);
    // SAFETY: mallinfo2 has no preconditions.
    let before = unsafe { libc::mallinfo2() }.uordblks;
    on_fresh_thread(fill);
    // SAFETY: as above.
    let after = unsafe { libc::mallinfo2() }.uordblks;
    let kept = after.saturating_sub(before);
    assert!(kept < 8 * 1024, "{kept} bytes still allocated after the thread exited");
}
