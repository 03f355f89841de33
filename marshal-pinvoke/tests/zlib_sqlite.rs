//! zlib and SQLite through both styles: Out buffers with in/out lengths, a row
//! callback receiving `char**` arrays, library-allocated error strings released
//! through an owned handle.
#![cfg(target_os = "linux")]

use core::ffi::{c_char, c_void, CStr};
use std::sync::Arc;

use marshal_pinvoke::core::value::Value;
use marshal_pinvoke::core::{CharSet, StringRepr, TypeDesc};
use marshal_pinvoke::typed::{OutSlice, UnownedStr};
use marshal_pinvoke::{extern_callback, pinvoke, Callback, Library, Param, Release, SafeHandle, Signature};

fn lib(name: &str) -> Arc<Library> {
    Arc::new(Library::load(name).unwrap_or_else(|e| panic!("{e}")))
}

/// zlib bound at run time (`#[library]`: loaded and looked up on first call, as `DllImport`).
mod loaded {
    use marshal_pinvoke::pinvoke;
    use marshal_pinvoke::typed::OutSlice;
    pinvoke! {
        #[library("z")]
        unsafe extern "C" {
            #[entry_point = "compressBound"]
            pub fn compress_bound(len: u64) -> u64;
            pub fn compress2(dst: OutSlice<'_, u8>, dst_len: &mut u64, src: &[u8], src_len: u64, level: i32) -> i32;
            pub fn uncompress(dst: OutSlice<'_, u8>, dst_len: &mut u64, src: &[u8], src_len: u64) -> i32;
        }
    }
}

/// The same declarations bound by the linker (`#[link]`: `-lz`, a direct call).
mod linked {
    use marshal_pinvoke::pinvoke;
    use marshal_pinvoke::typed::OutSlice;
    pinvoke! {
        #[link("z")]
        unsafe extern "C" {
            #[entry_point = "compressBound"]
            pub fn compress_bound(len: u64) -> u64;
            pub fn compress2(dst: OutSlice<'_, u8>, dst_len: &mut u64, src: &[u8], src_len: u64, level: i32) -> i32;
            pub fn uncompress(dst: OutSlice<'_, u8>, dst_len: &mut u64, src: &[u8], src_len: u64) -> i32;
        }
    }
}

fn sample() -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..2000u32 {
        v.extend_from_slice(format!("line {i}: the quick brown fox {} ", i % 17).as_bytes());
    }
    v
}

fn bytes_value(b: &[u8]) -> Value {
    Value::Array(b.iter().map(|x| Value::U8(*x)).collect())
}

fn value_bytes(v: &Value) -> Vec<u8> {
    let Value::Array(items) = v else { panic!("{v:?}") };
    items.iter().map(|x| if let Value::U8(b) = x { *b } else { panic!("{x:?}") }).collect()
}

/// compress2 / uncompress through one of the macro's bindings.
macro_rules! zlib_round_trip {
    ($m:ident) => {{
        let src = sample();
        let mut packed = vec![0u8; $m::compress_bound(src.len() as u64).unwrap() as usize];
        let mut packed_len = packed.len() as u64;
        assert_eq!($m::compress2(OutSlice(&mut packed), &mut packed_len, &src, src.len() as u64, 9).unwrap(), 0);
        assert!(packed_len < src.len() as u64 / 4, "{packed_len}");
        let mut back = vec![0u8; src.len()];
        let mut back_len = back.len() as u64;
        assert_eq!($m::uncompress(OutSlice(&mut back), &mut back_len, &packed, packed_len).unwrap(), 0);
        assert_eq!(back_len as usize, src.len());
        assert_eq!(back, src);
        // Z_BUF_ERROR (-5) when the Out buffer is too small, reported through the length too.
        let mut small = vec![0u8; 10];
        let mut small_len = 10u64;
        assert_eq!($m::uncompress(OutSlice(&mut small), &mut small_len, &packed, packed_len).unwrap(), -5);
    }};
}

#[test]
fn zlib_round_trip_with_the_macro() {
    zlib_round_trip!(loaded);
}

#[test]
fn zlib_round_trip_with_the_macro_linked() {
    zlib_round_trip!(linked);
}

#[test]
fn zlib_round_trip_with_runtime_signatures() {
    let z = lib("z");
    let bytes = || TypeDesc::lp_array(TypeDesc::U8, 0, None);
    let compress2 = Signature::new(Some(TypeDesc::I32))
        .param(Param::new("dst", bytes()).with_out())
        .param(Param::by_ref("dst_len", TypeDesc::U64))
        .param(Param::new("src", bytes()).with_in())
        .param(Param::new("src_len", TypeDesc::U64))
        .param(Param::new("level", TypeDesc::I32))
        .bind(&z, "compress2")
        .unwrap();
    let uncompress = Signature::new(Some(TypeDesc::I32))
        .param(Param::new("dst", bytes()).with_out())
        .param(Param::by_ref("dst_len", TypeDesc::U64))
        .param(Param::new("src", bytes()).with_in())
        .param(Param::new("src_len", TypeDesc::U64))
        .bind(&z, "uncompress")
        .unwrap();
    let src = sample();
    let cap = src.len() + 64;
    let mut args = [
        bytes_value(&vec![0; cap]),
        Value::U64(cap as u64),
        bytes_value(&src),
        Value::U64(src.len() as u64),
        Value::I32(6),
    ];
    assert_eq!(compress2.call(&mut args).unwrap(), Value::I32(0));
    let Value::U64(packed_len) = args[1] else { panic!() };
    let packed = value_bytes(&args[0])[..packed_len as usize].to_vec();

    let mut args =
        [bytes_value(&vec![0; src.len()]), Value::U64(src.len() as u64), bytes_value(&packed), Value::U64(packed_len)];
    assert_eq!(uncompress.call(&mut args).unwrap(), Value::I32(0));
    assert_eq!(args[1], Value::U64(src.len() as u64));
    assert_eq!(value_bytes(&args[0]), src);
}

/// A `sqlite3*` connection, closed with `sqlite3_close`.
struct SqliteDb;
impl Release for SqliteDb {
    type Raw = *mut c_void;
    fn is_invalid(raw: &*mut c_void) -> bool {
        raw.is_null()
    }
    unsafe fn release(raw: *mut c_void) -> bool {
        sqlite3_close(raw).map(|rc| rc == 0).unwrap_or(false)
    }
}

/// Memory from sqlite3_malloc (error messages), freed with `sqlite3_free`.
struct SqliteMem;
impl Release for SqliteMem {
    type Raw = *mut c_void;
    fn is_invalid(raw: &*mut c_void) -> bool {
        raw.is_null()
    }
    unsafe fn release(raw: *mut c_void) -> bool {
        FREED.with(|c| c.set(c.get() + 1));
        sqlite3_free(raw).is_ok()
    }
}

thread_local! { static FREED: core::cell::Cell<u32> = const { core::cell::Cell::new(0) }; }

pinvoke! {
    #[library("sqlite3")]
    unsafe extern "C" {
        fn sqlite3_open(path: &str, db: &mut usize) -> i32;
        fn sqlite3_exec(
            db: &SafeHandle<SqliteDb>,
            sql: &str,
            cb: Option<extern "C" fn(*mut c_void, i32, *mut *mut c_char, *mut *mut c_char) -> i32>,
            arg: *mut c_void,
            errmsg: &mut usize
        ) -> i32;
        fn sqlite3_close(db: *mut c_void) -> i32;
        fn sqlite3_free(p: *mut c_void);
        fn sqlite3_errmsg(db: &SafeHandle<SqliteDb>) -> UnownedStr;
    }
}

type Rows = Vec<Vec<(String, Option<String>)>>;

extern_callback! {
    fn collect_row(arg: *mut c_void, argc: i32, values: *mut *mut c_char, names: *mut *mut c_char) -> i32 {
        // SAFETY: `arg` is the &mut Rows passed to sqlite3_exec for this call.
        let rows = unsafe { &mut *(arg as *mut Rows) };
        let read = |p: *mut c_char| {
            // SAFETY: sqlite passes NUL-terminated UTF-8 or null.
            (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
        };
        let row = (0..argc as usize)
            // SAFETY: both arrays have argc entries.
            .map(|i| unsafe { (read(*names.add(i)).unwrap_or_default(), read(*values.add(i))) })
            .collect();
        rows.push(row);
        0
    }
}

const SQL: &str = "create table t(id integer, name text, note text);\
    insert into t values (1, 'un', null), (2, 'deux', 'é');\
    select id, name, note from t order by id;";

fn want_rows() -> Rows {
    let r = |id: &str, name: &str, note: Option<&str>| {
        vec![("id".into(), Some(id.into())), ("name".into(), Some(name.into())), ("note".into(), note.map(Into::into))]
    };
    vec![r("1", "un", None), r("2", "deux", Some("é"))]
}

#[test]
fn sqlite_exec_with_a_row_callback_and_freed_error_message_via_the_macro() {
    let mut raw = 0usize;
    assert_eq!(sqlite3_open(":memory:", &mut raw).unwrap(), 0);
    // SAFETY: an open connection, closed once by the handle.
    let db = unsafe { SafeHandle::<SqliteDb>::from_raw(raw as *mut c_void) };
    let mut rows: Rows = Vec::new();
    let mut err = 0usize;
    let rc = sqlite3_exec(&db, SQL, Some(collect_row), &mut rows as *mut Rows as *mut c_void, &mut err).unwrap();
    assert_eq!((rc, err), (0, 0));
    assert_eq!(rows, want_rows());

    let rc = sqlite3_exec(&db, "select * from missing", None, core::ptr::null_mut(), &mut err).unwrap();
    assert_eq!(rc, 1, "SQLITE_ERROR");
    // SAFETY: sqlite3_exec allocated the message with sqlite3_malloc; released once.
    let msg = unsafe { SafeHandle::<SqliteMem>::from_raw(err as *mut c_void) };
    // SAFETY: a NUL-terminated message.
    let text = unsafe { CStr::from_ptr(msg.as_raw().unwrap() as *const c_char) }.to_string_lossy().into_owned();
    assert_eq!(text, "no such table: missing");
    assert_eq!(sqlite3_errmsg(&db).unwrap(), UnownedStr(Some("no such table: missing".into())));
    let before = FREED.with(|c| c.get());
    drop(msg);
    assert_eq!(FREED.with(|c| c.get()), before + 1);
    assert!(db.close());
}

#[test]
fn sqlite_exec_with_a_runtime_callback_receiving_string_arrays() {
    let sq = lib("sqlite3");
    let utf8 = TypeDesc::String(StringRepr::LPUTF8Str);
    let open = Signature::new(Some(TypeDesc::I32))
        .param(Param::new("path", utf8.clone()))
        .param(Param::out("db", TypeDesc::Pointer))
        .bind(&sq, "sqlite3_open")
        .unwrap();
    let exec = Signature::new(Some(TypeDesc::I32))
        .param(Param::new("db", TypeDesc::Pointer))
        .param(Param::new("sql", utf8.clone()))
        .param(Param::new("cb", TypeDesc::FnPtr))
        .param(Param::new("arg", TypeDesc::Pointer))
        .param(Param::out("errmsg", TypeDesc::Pointer))
        .bind(&sq, "sqlite3_exec")
        .unwrap();
    // int cb(void*, int argc, [SizeParamIndex=1] string[] values, [SizeParamIndex=1] string[] names)
    let row_sig = Signature::new(Some(TypeDesc::I32))
        .param(Param::new("arg", TypeDesc::Pointer))
        .param(Param::new("argc", TypeDesc::I32))
        .param(Param::new("values", TypeDesc::lp_array(utf8.clone(), 0, Some(1))))
        .param(Param::new("names", TypeDesc::lp_array(utf8.clone(), 0, Some(1))));

    let mut args = [Value::str(":memory:"), Value::Null];
    assert_eq!(open.call(&mut args).unwrap(), Value::I32(0));
    let Value::Pointer(raw) = args[1] else { panic!("{:?}", args[1]) };
    // SAFETY: an open connection, closed once by the handle.
    let db = unsafe { SafeHandle::<SqliteDb>::from_raw(raw as *mut c_void) };

    let mut rows: Rows = Vec::new();
    {
        let cb = Callback::new(&row_sig, |a| {
            let (Value::Array(values), Value::Array(names)) = (&a[2], &a[3]) else { panic!("{a:?}") };
            let text = |v: &Value| match v {
                Value::Str(u) => Some(String::from_utf16(u).unwrap()),
                _ => None,
            };
            rows.push(names.iter().zip(values).map(|(n, v)| (text(n).unwrap(), text(v))).collect());
            Ok(Value::I32(0))
        })
        .unwrap();
        let mut args = [Value::Pointer(raw), Value::str(SQL), cb.as_value(), Value::Null, Value::Null];
        assert_eq!(exec.call(&mut args).unwrap(), Value::I32(0));
        assert_eq!(args[4], Value::Null);
        assert!(cb.take_failure().is_none());
    }
    assert_eq!(rows, want_rows());

    let mut args = [Value::Pointer(raw), Value::str("select * from missing"), Value::Null, Value::Null, Value::Null];
    assert_eq!(exec.call(&mut args).unwrap(), Value::I32(1));
    let Value::Pointer(err) = args[4] else { panic!("{:?}", args[4]) };
    // SAFETY: sqlite3_malloc'd, released once by the handle.
    let msg = unsafe { SafeHandle::<SqliteMem>::from_raw(err as *mut c_void) };
    // SAFETY: a NUL-terminated UTF-8 message.
    let text = unsafe { marshal_pinvoke::ptr_to_string(StringRepr::LPUTF8Str, CharSet::Ansi, msg.as_raw().unwrap()) };
    assert_eq!(text, Value::str("no such table: missing"));
    assert!(msg.close());
    assert!(db.close());
}
