//! Calls into the real C library, each feature in both styles: the runtime
//! `Signature` and the compile-time `pinvoke!` macro. Expected values come from
//! Rust's own computation or from the `libc` crate calling the same functions
//! directly.
#![cfg(target_os = "linux")]

use core::ffi::{c_char, c_void, CStr};
use std::sync::{Arc, OnceLock};

use marshal_pinvoke::core::value::Value;
use marshal_pinvoke::core::{CharSet, StringRepr, StructBuilder, TypeDesc};
use marshal_pinvoke::typed::{CoTaskMemStr, UnownedStr};
use marshal_pinvoke::{extern_callback, last_error, pinvoke, Callback, Library, Param, Signature};

fn libc_lib() -> &'static Arc<Library> {
    static LIB: OnceLock<Arc<Library>> = OnceLock::new();
    LIB.get_or_init(|| Arc::new(Library::load("c").expect("the C library loads by its short name")))
}

const LPSTR: TypeDesc = TypeDesc::String(StringRepr::LPStr);

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable, marshal_core::Blittable)]
struct Timeval {
    tv_sec: i64,
    tv_usec: i64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable, marshal_core::Blittable)]
struct Tm {
    tm_sec: i32,
    tm_min: i32,
    tm_hour: i32,
    tm_mday: i32,
    tm_mon: i32,
    tm_year: i32,
    tm_wday: i32,
    tm_yday: i32,
    tm_isdst: i32,
    _pad: i32,
    tm_gmtoff: i64,
    tm_zone: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, marshal_core::Blittable)]
struct Utsname {
    sysname: [u8; 65],
    nodename: [u8; 65],
    release: [u8; 65],
    version: [u8; 65],
    machine: [u8; 65],
    domainname: [u8; 65],
}

pinvoke! {
    #[library("c")]
    unsafe extern "C" {
        fn strlen(s: &str) -> usize;
        fn strtol(s: &CStr, end: &mut usize, base: i32) -> i64;
        fn strdup(s: &str) -> CoTaskMemStr;
        fn qsort(base: &mut [i32], n: usize, size: usize, cmp: extern "C" fn(*const c_void, *const c_void) -> i32);
        #[entry_point = "qsort"]
        fn qsort_closure(base: &mut [i32], n: usize, size: usize, cmp: &Callback<'_>);
        fn getenv(name: &str) -> UnownedStr;
        fn setenv(name: &str, value: &str, overwrite: i32) -> i32;
        fn uname(buf: &mut Utsname) -> i32;
        fn gettimeofday(tv: &mut Timeval, tz: *mut c_void) -> i32;
        fn localtime_r(t: &i64, out: &mut Tm) -> *mut Tm;
        #[set_last_error = true]
        fn open(path: &str, flags: i32) -> i32;
    }
}

/// Some of the same functions bound by the linker (`#[link]`) rather than loaded on first call.
mod linked {
    use core::ffi::CStr;
    use marshal_pinvoke::pinvoke;
    pinvoke! {
        #[link("c")]
        unsafe extern "C" {
            pub fn strlen(s: &str) -> usize;
            pub fn strtol(s: &CStr, end: &mut usize, base: i32) -> i64;
            #[set_last_error = true]
            pub fn open(path: &str, flags: i32) -> i32;
        }
    }
}

extern_callback! {
    fn compare_i32(a: *const c_void, b: *const c_void) -> i32 {
        // SAFETY: qsort passes pointers to two elements of the i32 array.
        let (a, b) = unsafe { (*(a as *const i32), *(b as *const i32)) };
        a.cmp(&b) as i32
    }
}

#[test]
fn strlen_counts_utf8_bytes_in_both_styles() {
    let f = Signature::new(Some(TypeDesc::USIZE)).param(Param::new("s", LPSTR)).bind(libc_lib(), "strlen").unwrap();
    for s in ["", "a", "héllo", "日本語", "😀x"] {
        assert_eq!(f.call(&mut [Value::str(s)]).unwrap(), Value::USize(s.len() as u64), "{s}");
        assert_eq!(strlen(s).unwrap(), s.len(), "{s}");
        assert_eq!(linked::strlen(s).unwrap(), s.len(), "{s}");
    }
}

#[test]
fn strtol_reports_the_end_pointer_in_both_styles() {
    let text = c"  -1234xyz";
    // Runtime: the text as a raw pointer (so the end pointer refers to memory we
    // own), the end pointer as an `out IntPtr`.
    let f = Signature::new(Some(TypeDesc::I64))
        .param(Param::new("s", TypeDesc::Pointer))
        .param(Param::out("end", TypeDesc::ISIZE))
        .param(Param::new("base", TypeDesc::I32))
        .bind(libc_lib(), "strtol")
        .unwrap();
    let start = text.as_ptr() as u64;
    let mut args = [Value::Pointer(start), Value::ISize(0), Value::I32(10)];
    assert_eq!(f.call(&mut args).unwrap(), Value::I64(-1234));
    assert_eq!(args[1], Value::ISize(start as i64 + 7), "end points at 'x'");

    let mut end = 0usize;
    assert_eq!(strtol(text, &mut end, 10).unwrap(), -1234);
    assert_eq!(end - text.as_ptr() as usize, 7);
    assert_eq!(strtol(c"ff", &mut end, 16).unwrap(), 255);
    let mut end = 0usize;
    assert_eq!(linked::strtol(text, &mut end, 10).unwrap(), -1234);
    assert_eq!(end - text.as_ptr() as usize, 7);
}

#[test]
fn strings_round_trip_through_strdup_and_are_freed_by_the_caller() {
    // strdup's result is malloc'd: the CLR's rule (CoTaskMemFree = free) releases it.
    let f = Signature::new(Some(LPSTR)).param(Param::new("s", LPSTR)).bind(libc_lib(), "strdup").unwrap();
    let utf8 = Signature::new(Some(TypeDesc::String(StringRepr::LPUTF8Str)))
        .param(Param::new("s", TypeDesc::String(StringRepr::LPUTF8Str)))
        .bind(libc_lib(), "strdup")
        .unwrap();
    for s in ["", "plain", "é€😀 mixed", &"x".repeat(5000)] {
        assert_eq!(f.call(&mut [Value::str(s)]).unwrap(), Value::str(s));
        assert_eq!(utf8.call(&mut [Value::str(s)]).unwrap(), Value::str(s));
        assert_eq!(strdup(s).unwrap(), CoTaskMemStr(Some(s.to_string())));
    }
    // A lone surrogate goes out as U+FFFD (CoreCLR on Unix) and comes back so.
    let lone = Value::Str(vec![0x61, 0xd800, 0x62]);
    assert_eq!(f.call(&mut [lone]).unwrap(), Value::str("a\u{fffd}b"));
}

#[test]
fn qsort_sorts_with_a_rust_comparator_in_every_style() {
    let data: Vec<i32> = (0..1000).map(|i| (i * 7919 + 13) % 1009 - 500).collect();
    let mut want = data.clone();
    want.sort();

    // Runtime: a libffi closure whose signature reads both elements as `ref int`.
    let cmp_sig = Signature::new(Some(TypeDesc::I32))
        .param(Param::by_ref("a", TypeDesc::I32).with_in())
        .param(Param::by_ref("b", TypeDesc::I32).with_in());
    let cb = Callback::new(&cmp_sig, |args| match (&args[0], &args[1]) {
        (Value::I32(a), Value::I32(b)) => Ok(Value::I32(a.cmp(b) as i32)),
        _ => unreachable!("the signature gives ints"),
    })
    .unwrap();
    let f = Signature::new(None)
        .param(Param::new("base", TypeDesc::lp_array(TypeDesc::I32, 0, None)))
        .param(Param::new("n", TypeDesc::USIZE))
        .param(Param::new("size", TypeDesc::USIZE))
        .param(Param::new("cmp", TypeDesc::FnPtr))
        .bind(libc_lib(), "qsort")
        .unwrap();
    let mut args = [
        Value::Array(data.iter().map(|x| Value::I32(*x)).collect()),
        Value::USize(data.len() as u64),
        Value::USize(4),
        cb.as_value(),
    ];
    f.call(&mut args).unwrap();
    // A blittable array is pinned: the sort is visible to the caller.
    assert_eq!(args[0], Value::Array(want.iter().map(|x| Value::I32(*x)).collect()));
    assert!(cb.calls() > 0);
    assert!(cb.take_failure().is_none());

    // Macro with a plain extern "C" thunk.
    let mut v = data.clone();
    let n = v.len();
    qsort(&mut v, n, 4, compare_i32).unwrap();
    assert_eq!(v, want);

    // Macro with a libffi closure that captures state (descending order).
    let descending = true;
    let closure = Callback::new(&cmp_sig, |args| match (&args[0], &args[1]) {
        (Value::I32(a), Value::I32(b)) => Ok(Value::I32(if descending { b.cmp(a) } else { a.cmp(b) } as i32)),
        _ => unreachable!(),
    })
    .unwrap();
    let mut v = data.clone();
    let n = v.len();
    qsort_closure(&mut v, n, 4, &closure).unwrap();
    assert_eq!(v, want.iter().rev().copied().collect::<Vec<_>>());
}

#[test]
fn a_panicking_callback_never_unwinds_into_c() {
    let cmp_sig = Signature::new(Some(TypeDesc::I32))
        .param(Param::by_ref("a", TypeDesc::I32).with_in())
        .param(Param::by_ref("b", TypeDesc::I32).with_in());
    let cb = Callback::new(&cmp_sig, |_| panic!("comparator bug")).unwrap();
    let mut v = vec![3, 1, 2];
    qsort_closure(&mut v, 3, 4, &cb).unwrap();
    let failure = cb.take_failure().expect("the panic is recorded").to_string();
    assert!(failure.contains("comparator bug"), "{failure}");
}

#[test]
fn environment_variables_round_trip_in_both_styles() {
    let set = Signature::new(Some(TypeDesc::I32))
        .param(Param::new("name", LPSTR))
        .param(Param::new("value", LPSTR))
        .param(Param::new("overwrite", TypeDesc::I32))
        .bind(libc_lib(), "setenv")
        .unwrap();
    // getenv's result is not the caller's to free: declared as IntPtr and read.
    let get =
        Signature::new(Some(TypeDesc::Pointer)).param(Param::new("name", LPSTR)).bind(libc_lib(), "getenv").unwrap();
    let name = "MARSHAL_PINVOKE_TEST_VAR";
    assert_eq!(set.call(&mut [Value::str(name), Value::str("välue 1"), Value::I32(1)]).unwrap(), Value::I32(0));
    assert_eq!(std::env::var(name).unwrap(), "välue 1");
    let Value::Pointer(p) = get.call(&mut [Value::str(name)]).unwrap() else { panic!("getenv found it") };
    // SAFETY: getenv returned a NUL-terminated string owned by the environment.
    let read = unsafe { marshal_pinvoke::ptr_to_string(StringRepr::LPStr, CharSet::Ansi, p as *const c_void) };
    assert_eq!(read, Value::str("välue 1"));

    assert_eq!(setenv(name, "välue 2", 1).unwrap(), 0);
    assert_eq!(getenv(name).unwrap(), UnownedStr(Some("välue 2".into())));
    assert_eq!(std::env::var(name).unwrap(), "välue 2");
    assert_eq!(getenv("MARSHAL_PINVOKE_SURELY_UNSET").unwrap(), UnownedStr(None));
    assert_eq!(get.call(&mut [Value::str("MARSHAL_PINVOKE_SURELY_UNSET")]).unwrap(), Value::Null);
}

fn utsname_direct() -> [String; 5] {
    // SAFETY: utsname is plain data; uname fills it.
    let mut u: libc::utsname = unsafe { core::mem::zeroed() };
    // SAFETY: a valid out pointer.
    assert_eq!(unsafe { libc::uname(&mut u) }, 0);
    let s = |f: &[c_char]| {
        // SAFETY: uname NUL-terminates each field.
        unsafe { CStr::from_ptr(f.as_ptr()) }.to_string_lossy().into_owned()
    };
    [s(&u.sysname), s(&u.nodename), s(&u.release), s(&u.version), s(&u.machine)]
}

#[test]
fn uname_fills_a_struct_of_byvaltstr_fields_in_both_styles() {
    let want = utsname_direct();
    let names = ["sysname", "nodename", "release", "version", "machine", "domainname"];
    let mut b = StructBuilder::sequential("utsname");
    for n in names {
        b = b.field(n, TypeDesc::ByValTStr(65));
    }
    let ty = b.build().unwrap();
    let f = Signature::new(Some(TypeDesc::I32)).param(Param::out("buf", ty)).bind(libc_lib(), "uname").unwrap();
    let mut args = [Value::Null];
    assert_eq!(f.call(&mut args).unwrap(), Value::I32(0));
    for (n, w) in names.iter().zip(&want) {
        assert_eq!(args[0].field(n), Some(&Value::str(w)), "{n}");
    }

    let mut u = Utsname {
        sysname: [0; 65],
        nodename: [0; 65],
        release: [0; 65],
        version: [0; 65],
        machine: [0; 65],
        domainname: [0; 65],
    };
    assert_eq!(uname(&mut u).unwrap(), 0);
    let cut = |b: &[u8]| String::from_utf8_lossy(&b[..b.iter().position(|c| *c == 0).unwrap()]).into_owned();
    assert_eq!([cut(&u.sysname), cut(&u.nodename), cut(&u.release), cut(&u.version), cut(&u.machine)], want);
}

fn timeval_desc() -> TypeDesc {
    StructBuilder::sequential("timeval").field("tv_sec", TypeDesc::I64).field("tv_usec", TypeDesc::I64).build().unwrap()
}

fn tm_desc() -> TypeDesc {
    let mut b = StructBuilder::sequential("tm");
    for n in ["tm_sec", "tm_min", "tm_hour", "tm_mday", "tm_mon", "tm_year", "tm_wday", "tm_yday", "tm_isdst"] {
        b = b.field(n, TypeDesc::I32);
    }
    b.field("tm_gmtoff", TypeDesc::I64).field("tm_zone", TypeDesc::Pointer).build().unwrap()
}

#[test]
fn gettimeofday_and_localtime_r_fill_structs_in_both_styles() {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let f = Signature::new(Some(TypeDesc::I32))
        .param(Param::out("tv", timeval_desc()))
        .param(Param::new("tz", TypeDesc::Pointer))
        .bind(libc_lib(), "gettimeofday")
        .unwrap();
    let mut args = [Value::Null, Value::Null];
    assert_eq!(f.call(&mut args).unwrap(), Value::I32(0));
    let Some(Value::I64(sec)) = args[0].field("tv_sec") else { panic!("{:?}", args[0]) };
    assert!((sec - now).abs() <= 2, "{sec} vs {now}");
    let mut tv = Timeval::default();
    assert_eq!(gettimeofday(&mut tv, core::ptr::null_mut()).unwrap(), 0);
    assert!((tv.tv_sec - now).abs() <= 2 && (0..1_000_000).contains(&tv.tv_usec));

    // localtime_r of a fixed instant against libc called directly.
    let t: i64 = 1_000_000_000;
    // SAFETY: plain data, filled by localtime_r.
    let mut want: libc::tm = unsafe { core::mem::zeroed() };
    // SAFETY: valid pointers.
    assert!(!unsafe { libc::localtime_r(&t, &mut want) }.is_null());
    let lt = Signature::new(Some(TypeDesc::Pointer))
        .param(Param::by_ref("t", TypeDesc::I64).with_in())
        .param(Param::out("out", tm_desc()))
        .bind(libc_lib(), "localtime_r")
        .unwrap();
    let mut args = [Value::I64(t), Value::Null];
    assert!(matches!(lt.call(&mut args).unwrap(), Value::Pointer(_)));
    for (n, w) in
        [("tm_year", want.tm_year), ("tm_yday", want.tm_yday), ("tm_hour", want.tm_hour), ("tm_min", want.tm_min)]
    {
        assert_eq!(args[1].field(n), Some(&Value::I32(w)), "{n}");
    }
    let mut tm = Tm::default();
    assert!(!localtime_r(&t, &mut tm).unwrap().is_null());
    assert_eq!((tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_sec), (want.tm_year, want.tm_mon, want.tm_mday, want.tm_sec));
    assert_eq!(tm.tm_gmtoff, want.tm_gmtoff);
}

#[test]
fn set_last_error_captures_errno_right_after_the_call_in_both_styles() {
    let f = Signature::new(Some(TypeDesc::I32))
        .param(Param::new("path", LPSTR))
        .param(Param::new("flags", TypeDesc::I32))
        .set_last_error(true)
        .bind(libc_lib(), "open")
        .unwrap();
    marshal_pinvoke::set_last_error(0);
    assert_eq!(
        f.call(&mut [Value::str("/nonexistent/marshal/file"), Value::I32(libc::O_RDONLY)]).unwrap(),
        Value::I32(-1)
    );
    assert_eq!(last_error(), libc::ENOENT);

    marshal_pinvoke::set_last_error(0);
    assert_eq!(open("/nonexistent/marshal/file", libc::O_RDONLY).unwrap(), -1);
    assert_eq!(last_error(), libc::ENOENT);
    marshal_pinvoke::set_last_error(0);
    assert_eq!(linked::open("/nonexistent/marshal/file", libc::O_RDONLY).unwrap(), -1);
    assert_eq!(last_error(), libc::ENOENT);

    // Without SetLastError the stored value is left alone.
    let quiet = Signature::new(Some(TypeDesc::I32))
        .param(Param::new("path", LPSTR))
        .param(Param::new("flags", TypeDesc::I32))
        .bind(libc_lib(), "open")
        .unwrap();
    marshal_pinvoke::set_last_error(7);
    quiet.call(&mut [Value::str("/nonexistent"), Value::I32(0)]).unwrap();
    assert_eq!(last_error(), 7);
}
