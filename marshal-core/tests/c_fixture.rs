//! Every string form crosses to real C code and back: `tests/fixture/strings_fixture.c`
//! is compiled with the system C compiler (`$CC`, default `cc`), loaded, handed each
//! form (it checks bytes and lengths with its own code) and returns strings allocated as
//! native code does, which Rust frees with the allocator the form names.
//!
//! Under valgrind (`valgrind --leak-check=full --error-exitcode=1 <this test binary>
//! --test-threads=1`) the run shows no leak and no invalid access.
#![cfg(unix)]

use std::ffi::{c_char, c_int, c_void, CString};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use marshal_core::alloc::tracking::LeakCheck;
use marshal_core::bstr::{Bstr, BstrRef};
use marshal_core::strings::*;

struct Fixture {
    handle: *mut c_void,
}
// SAFETY: the library handle is only used to look symbols up.
unsafe impl Send for Fixture {}
// SAFETY: as above.
unsafe impl Sync for Fixture {}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixture/strings_fixture.c");
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("libstrings_fixture.so");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let status = Command::new(cc)
            .args(["-shared", "-fPIC", "-O1", "-g", "-Wall", "-Werror", "-o"])
            .arg(&out)
            .arg(&src)
            .status()
            .expect("a C compiler ($CC or cc) is installed");
        assert!(status.success(), "compiling the C fixture failed");
        let path = CString::new(out.to_str().unwrap()).unwrap();
        // SAFETY: dlopen of a library we just built, with a NUL-terminated path.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW) };
        assert!(!handle.is_null(), "dlopen of the fixture failed");
        Fixture { handle }
    })
}

/// Looks a fixture function up.
///
/// # Safety
/// `F` is the function's exact `extern "C"` type.
unsafe fn sym<F: Copy>(name: &str) -> F {
    let c = CString::new(name).unwrap();
    // SAFETY: the handle is live for the process; the name is NUL-terminated.
    let p = unsafe { libc::dlsym(fixture().handle, c.as_ptr()) };
    assert!(!p.is_null(), "fixture lacks {name}");
    assert_eq!(core::mem::size_of::<F>(), core::mem::size_of::<*mut c_void>());
    // SAFETY: the caller names the function's exact type; function pointers are pointer-sized.
    unsafe { core::mem::transmute_copy(&p) }
}

type CheckWide = unsafe extern "C" fn(*const u16, *const u16, usize) -> c_int;
type CheckNarrow = unsafe extern "C" fn(*const c_char, *const c_char, usize) -> c_int;
type CheckBstr = unsafe extern "C" fn(*const u16, *const u8, u32) -> c_int;

const OPTS: StringOptions = StringOptions::CORECLR_UNIX;

fn w(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

const SAMPLES: &[&str] = &[
    "",
    "a",
    "héllo wörld",
    "日本語 😀",
    "a\u{0}b",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
];

#[test]
fn c_receives_every_form_in() {
    let check = LeakCheck::start();
    // SAFETY: the types match the C declarations.
    let (check_wide, check_narrow, check_bstr, addr_mod16) = unsafe {
        (
            sym::<CheckWide>("check_lpwstr"),
            sym::<CheckNarrow>("check_lpstr"),
            sym::<CheckBstr>("check_bstr"),
            sym::<unsafe extern "C" fn(*const u16) -> c_int>("bstr_addr_mod16"),
        )
    };
    for text in SAMPLES {
        let units = w(text);
        // Expectations from std: what C sees up to the first NUL, or the whole BSTR payload.
        let wide_c: Vec<u16> = units.iter().copied().take_while(|&u| u != 0).collect();
        let utf8_c: Vec<u8> = text.bytes().take_while(|&b| b != 0).collect();
        let utf16_bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        let kinds = [
            NativeStringKind::LPWStr,
            NativeStringKind::LPUTF8Str,
            NativeStringKind::LPStr,
            NativeStringKind::BStr,
            NativeStringKind::AnsiBStr,
        ];
        // Both the owned copies (CoTaskMem / the BSTR allocator) and the In copies (stack).
        let owned: Vec<NativeString> =
            kinds.iter().map(|&k| NativeString::from_wide(k, &units, &OPTS.ansi).unwrap()).collect();
        let args: Vec<InString<'static>> =
            kinds.iter().map(|&k| InString::new(k, Some(&units), &OPTS.ansi).unwrap()).collect();
        let pointers: Vec<[*const c_void; 5]> =
            vec![core::array::from_fn(|i| owned[i].as_ptr().cast_const()), core::array::from_fn(|i| args[i].as_ptr())];
        for (pass, p) in pointers.iter().enumerate() {
            // SAFETY: every pointer is a live string of the form the C function expects.
            unsafe {
                assert_eq!(check_wide(p[0].cast(), wide_c.as_ptr(), wide_c.len()), 1, "LPWStr {text:?}");
                assert_eq!(check_narrow(p[1].cast(), utf8_c.as_ptr().cast(), utf8_c.len()), 1, "LPUTF8Str {text:?}");
                assert_eq!(check_narrow(p[2].cast(), utf8_c.as_ptr().cast(), utf8_c.len()), 1, "LPStr {text:?}");
                assert_eq!(check_bstr(p[3].cast(), utf16_bytes.as_ptr(), utf16_bytes.len() as u32), 1, "BSTR {text:?}");
                assert_eq!(check_bstr(p[4].cast(), text.as_ptr(), text.len() as u32), 1, "AnsiBStr {text:?}");
                if pass == 0 {
                    assert_eq!(addr_mod16(p[3].cast()), 8, "oleaut32's BSTR alignment");
                }
            }
        }
        assert_eq!(check.live(), (3, 2), "the owned copies are live until dropped");
        drop(owned);
        drop(args);
    }
    check.assert_no_leaks();
}

#[test]
fn rust_frees_what_c_returns_with_the_right_allocator() {
    let check = LeakCheck::start();
    // SAFETY: the types match the C declarations; each returned string is owned by us and
    // freed exactly once by take_native / Bstr's Drop.
    unsafe {
        let make_lpwstr = sym::<unsafe extern "C" fn() -> *mut u16>("make_lpwstr");
        let make_lputf8 = sym::<unsafe extern "C" fn() -> *mut c_char>("make_lputf8");
        let make_bstr = sym::<unsafe extern "C" fn() -> *mut u16>("make_bstr");
        let make_bstr_bytes = sym::<unsafe extern "C" fn(*const u8, u32) -> *mut u16>("make_bstr_bytes");

        let s = take_native(NativeStringKind::LPWStr, make_lpwstr().cast(), &OPTS).unwrap().unwrap();
        assert_eq!(s.to_string_lossy(), "héllo 😀");
        let s = take_native(NativeStringKind::LPUTF8Str, make_lputf8().cast(), &OPTS).unwrap().unwrap();
        assert_eq!(s.to_string_lossy(), "héllo 😀");
        let s = take_native(NativeStringKind::BStr, make_bstr().cast(), &OPTS).unwrap().unwrap();
        assert_eq!(s.to_string_lossy(), "héllo 😀");

        // A C BSTR owned by a Bstr, odd length and embedded NUL included.
        let b = Bstr::from_raw(make_bstr_bytes(b"a\0bcd".as_ptr(), 5));
        assert_eq!((b.len(), b.byte_len(), b.as_bytes()), (2, 5, &b"a\0bcd"[..]));
        drop(b);

        // AnsiBStr from C: read up to the first NUL, the prefix ignored.
        let p = make_bstr_bytes(b"h\xC3\xA9\0zz".as_ptr(), 6);
        let s = take_native(NativeStringKind::AnsiBStr, p.cast(), &OPTS).unwrap().unwrap();
        assert_eq!(s.to_string_lossy(), "hé");

        // LPWStrs of every length in blocks of exactly their size (the NUL scan must stay
        // within what is readable; valgrind checks it).
        let make_n = sym::<unsafe extern "C" fn(c_int) -> *mut u16>("make_lpwstr_n");
        for n in 0..300 {
            let s = take_native(NativeStringKind::LPWStr, make_n(n).cast(), &OPTS).unwrap().unwrap();
            let expect: Vec<u16> = (0..n).map(|i| u16::from(b'a') + (i % 26) as u16).collect();
            assert_eq!(s.as_slice(), &expect[..]);
        }

        // A BSTR view of C memory, no copy.
        let p = make_bstr();
        let view = BstrRef::from_raw(p);
        assert_eq!(view.as_ptr(), p.cast_const());
        assert_eq!(view.len(), 8);
        drop(Bstr::from_raw(p));
    }
    // Blocks made by C, freed by Rust: the tracker sees only the frees.
    assert_eq!(check.live(), (-302, -4));
}

#[test]
fn c_frees_what_rust_returns() {
    let check = LeakCheck::start();
    // SAFETY: the types match; ownership of each string passes to C, which frees it.
    unsafe {
        let free_co_task_mem = sym::<unsafe extern "C" fn(*mut c_void)>("free_co_task_mem");
        let free_bstr = sym::<unsafe extern "C" fn(*mut u16)>("free_bstr");
        for kind in [NativeStringKind::LPWStr, NativeStringKind::LPUTF8Str, NativeStringKind::LPStr] {
            free_co_task_mem(NativeString::from_str(kind, "given away", &OPTS.ansi).unwrap().into_raw());
        }
        free_bstr(Bstr::try_from("given away").unwrap().into_raw());
        free_bstr(Bstr::from_bytes(b"odd").unwrap().into_raw());
    }
    assert_eq!(check.live(), (3, 2), "allocated by Rust, freed by C (the tracker sees only the allocations)");
}

#[test]
fn string_builder_buffers_with_c() {
    let check = LeakCheck::start();
    // SAFETY: the types match; the buffers hold what the sizes say.
    unsafe {
        let fill_wbuf = sym::<unsafe extern "C" fn(*mut u16, c_int) -> c_int>("fill_wbuf");
        let fill_no_terminator = sym::<unsafe extern "C" fn(*mut c_char, c_int)>("fill_no_terminator");

        let mut buf = StringBuffer::new(NativeStringKind::LPWStr, 3, &w("ab"), &OPTS.ansi).unwrap();
        assert_eq!(fill_wbuf(buf.as_mut_ptr().cast(), 4), 3);
        assert_eq!(buf.read(&OPTS).unwrap().to_string_lossy(), "fil");

        let mut buf = StringBuffer::new(NativeStringKind::LPWStr, 16, &[], &OPTS.ansi).unwrap();
        fill_wbuf(buf.as_mut_ptr().cast(), 17);
        assert_eq!(buf.read(&OPTS).unwrap().to_string_lossy(), "filled");

        // No terminator: the read stops at the buffer's end.
        let mut buf = StringBuffer::new(NativeStringKind::LPUTF8Str, 4, &[], &OPTS.ansi).unwrap();
        let size = buf.byte_size();
        fill_no_terminator(buf.as_mut_ptr().cast(), size as c_int);
        assert_eq!(buf.read(&OPTS).unwrap().to_string_lossy(), "x".repeat(size));
    }
    check.assert_no_leaks();
}

#[test]
fn by_val_tstr_fields_as_c_lays_them_out() {
    #[repr(C)]
    struct WithTStr {
        x: i32,
        wide: [u8; 16],
        narrow: [u8; 8],
        y: i32,
    }
    // SAFETY: the types match the C declarations.
    unsafe {
        let check_struct = sym::<unsafe extern "C" fn(*const WithTStr) -> c_int>("check_with_tstr");
        let size = sym::<unsafe extern "C" fn() -> usize>("sizeof_with_tstr");
        assert_eq!(size(), core::mem::size_of::<WithTStr>());
        let mut s = WithTStr { x: 7, wide: [0xCC; 16], narrow: [0xCC; 8], y: -7 };
        let text = w("abcdefghij");
        write_by_val_tstr(&mut s.wide, Some(&text), true, &OPTS.ansi).unwrap();
        write_by_val_tstr(&mut s.narrow, Some(&text), false, &OPTS.ansi).unwrap();
        assert_eq!(check_struct(&s), 1);
        assert_eq!(read_by_val_tstr(&s.wide, true, &OPTS).unwrap().to_string_lossy(), "abcdefg");
        assert_eq!(read_by_val_tstr(&s.narrow, false, &OPTS).unwrap().to_string_lossy(), "abcdefg");
    }
}
