//! Structs with every field form cross to real C code through pointers — In,
//! Out, InOut and arrays of structs — by both paths: a `#[derive(Marshal)]` Rust
//! type and the runtime [`Plan`] over a [`Value`] built from the same
//! descriptor. `tests/fixture/structs_fixture.c` (compiled with `$CC`, default
//! `cc`) checks and writes every field with C's own view of the layout.
//!
//! Every test ends with the allocator balance the ownership rules predict: zero
//! when Rust frees what Rust allocated, and -1 per block native code allocated and
//! the engine freed (`alloc::tracking`).
#![cfg(unix)]

use std::ffi::{c_void, CString};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, OnceLock};

use marshal_core::alloc::tracking::LeakCheck;
use marshal_core::marshal::Marshal;
use marshal_core::plan::Plan;
use marshal_core::value::{DateTime, Value};
use marshal_core::variant::Decimal;
use marshal_core::{BoolRepr, CharRepr, Layout, StringRepr, StructBuilder, Target, TypeDesc, VarType};

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
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixture/structs_fixture.c");
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("libstructs_fixture.so");
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
    // SAFETY: the caller names the function's exact type; function pointers are pointer-sized.
    unsafe { core::mem::transmute_copy(&p) }
}

#[derive(Marshal, Debug, Clone, PartialEq)]
struct Inner {
    a: i16,
    b: i64,
}

/// The fixture's `Rec`, field for field.
#[derive(Marshal, Debug, Clone, PartialEq)]
struct Rec {
    id: i32,
    flag: bool,
    #[marshal(as = variant_bool)]
    vb: bool,
    #[marshal(as = utf16_char)]
    wc: u16,
    #[marshal(as = ansi_char)]
    ac: u16,
    x: f64,
    #[marshal(as = lpstr)]
    name: Option<String>,
    #[marshal(as = lpwstr)]
    wname: Option<String>,
    #[marshal(as = bstr)]
    bname: Option<String>,
    #[marshal(as = by_val_tstr(8))]
    tag: String,
    #[marshal(as = by_val_array(3), elem = u1)]
    bits: [bool; 3],
    #[marshal(as = currency)]
    price: Decimal,
    when: DateTime,
    dec: Decimal,
    obj: Value,
    #[marshal(as = safearray(I4))]
    list: Vec<i32>,
    inner: Inner,
}

/// The runtime builder's description of the same struct, written independently.
fn rec_desc() -> TypeDesc {
    let inner = StructBuilder::sequential("Inner").field("a", TypeDesc::I16).field("b", TypeDesc::I64).build().unwrap();
    StructBuilder::sequential("Rec")
        .field("id", TypeDesc::I32)
        .field("flag", TypeDesc::Bool(BoolRepr::Win32))
        .field("vb", TypeDesc::Bool(BoolRepr::VariantBool))
        .field("wc", TypeDesc::Char(CharRepr::Utf16))
        .field("ac", TypeDesc::Char(CharRepr::Ansi))
        .field("x", TypeDesc::F64)
        .field("name", TypeDesc::String(StringRepr::LPStr))
        .field("wname", TypeDesc::String(StringRepr::LPWStr))
        .field("bname", TypeDesc::String(StringRepr::BStr))
        .field("tag", TypeDesc::ByValTStr(8))
        .field("bits", TypeDesc::by_val_array(TypeDesc::Bool(BoolRepr::U1), 3))
        .field("price", TypeDesc::Currency)
        .field("when", TypeDesc::Date)
        .field("dec", TypeDesc::Decimal)
        .field("obj", TypeDesc::Variant)
        .field("list", TypeDesc::SafeArray(VarType::I4))
        .field("inner", inner)
        .build()
        .unwrap()
}

fn dec(mantissa: u128, scale: u8, negative: bool) -> Decimal {
    Decimal::new(mantissa, scale, negative).unwrap()
}

/// The In sample `rec_check_in` expects.
fn sample() -> Rec {
    Rec {
        id: 7,
        flag: true,
        vb: true,
        wc: 0x20AC,
        ac: u16::from(b'A'),
        x: 2.5,
        name: Some("héllo".into()),
        wname: Some("wide€".into()),
        bname: Some("bstr!".into()),
        tag: "tag".into(),
        bits: [true, false, true],
        price: dec(123_456_789, 4, false),
        // 2001-02-03 12:00 (ticks computed with Python's datetime), DATE 36925.5.
        when: DateTime { ticks: 631_167_984_000_000_000 },
        dec: dec(31415, 2, true),
        obj: Value::I32(42),
        list: vec![1, 2, 3],
        inner: Inner { a: -3, b: 1 << 40 },
    }
}

/// The same value as a runtime [`Value`] tree.
fn value_of(r: &Rec) -> Value {
    let s = |o: &Option<String>| o.as_deref().map_or(Value::Null, Value::str);
    let fields: Vec<(&str, Value)> = vec![
        ("id", Value::I32(r.id)),
        ("flag", Value::Bool(r.flag)),
        ("vb", Value::Bool(r.vb)),
        ("wc", Value::Char(r.wc)),
        ("ac", Value::Char(r.ac)),
        ("x", Value::F64(r.x)),
        ("name", s(&r.name)),
        ("wname", s(&r.wname)),
        ("bname", s(&r.bname)),
        ("tag", Value::str(&r.tag)),
        ("bits", Value::Array(r.bits.iter().map(|&b| Value::Bool(b)).collect())),
        ("price", Value::Decimal(r.price)),
        ("when", Value::DateTime(r.when)),
        ("dec", Value::Decimal(r.dec)),
        ("obj", r.obj.clone()),
        ("list", Value::Array(r.list.iter().map(|&x| Value::I32(x)).collect())),
        ("inner", Value::Struct(vec![("a".into(), Value::I16(r.inner.a)), ("b".into(), Value::I64(r.inner.b))])),
    ];
    Value::Struct(fields.into_iter().map(|(n, v)| (Arc::from(n), v)).collect())
}

fn plan() -> Arc<Plan> {
    Plan::for_type(&rec_desc(), Target::host()).unwrap()
}

type CheckIn = unsafe extern "C" fn(*const u8) -> i32;
type Fill = unsafe extern "C" fn(*mut u8);

#[test]
fn c_sees_the_layout_the_engine_computes() {
    // SAFETY: the types match the C declarations.
    let (size, offset) = unsafe {
        (sym::<unsafe extern "C" fn() -> usize>("rec_size"), sym::<unsafe extern "C" fn(i32) -> usize>("rec_offset"))
    };
    let layout = Layout::of(&rec_desc()).unwrap();
    // SAFETY: plain C functions.
    assert_eq!(layout.size() as usize, unsafe { size() });
    assert_eq!(Rec::NATIVE_SIZE, layout.size() as usize);
    for (i, f) in layout.fields().iter().enumerate() {
        // SAFETY: as above; `i` is a field index the C table has.
        assert_eq!(f.offset as usize, unsafe { offset(i as i32) }, "field {}", f.name);
    }
    // The derive writes the descriptor the runtime builder writes.
    assert_eq!(Rec::type_desc(), rec_desc());
}

#[test]
fn in_both_paths_reach_c_intact_and_free_everything() {
    let check = LeakCheck::start();
    // SAFETY: the type matches the C declaration.
    let check_in = unsafe { sym::<CheckIn>("rec_check_in") };
    let r = sample();
    let mut derived = vec![0xAAu8; Rec::NATIVE_SIZE];
    r.to_native(&mut derived).unwrap();
    // SAFETY: a complete native Rec.
    assert_eq!(unsafe { check_in(derived.as_ptr()) }, 0, "derive path");
    let plan = plan();
    let mut runtime = vec![0x55u8; plan.size()];
    plan.to_native(&value_of(&r), &mut runtime).unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { check_in(runtime.as_ptr()) }, 0, "runtime path");
    // PtrToStructure of what the other path wrote gives the value back.
    // SAFETY: both buffers hold live native Recs.
    unsafe {
        assert_eq!(Rec::from_native(&runtime).unwrap(), r);
        assert_eq!(plan.from_native(&derived).unwrap(), value_of(&r));
        Rec::destroy_native(&mut derived);
        plan.destroy(&mut runtime);
    }
    check.assert_no_leaks();
}

#[test]
fn out_reads_what_c_wrote_and_frees_it_with_the_abi_allocators() {
    // SAFETY: the type matches the C declaration.
    let fill = unsafe { sym::<Fill>("rec_fill_out") };
    let expected = Rec {
        id: -9,
        flag: true,
        vb: false,
        wc: 0x3042,
        ac: u16::from(b'z'),
        x: -0.125,
        name: Some("native €".into()),
        wname: Some("日本".into()),
        bname: Some("out😀".into()),
        tag: "abcdefgh".into(),
        bits: [false, true, false],
        price: dec(15, 1, true),
        // 1899-12-29 06:00 (Python's datetime), DATE -1.25.
        when: DateTime { ticks: 599_263_704_000_000_000 },
        dec: dec(1 << 64, 0, false),
        obj: Value::str("vé"),
        list: Vec::new(),
        inner: Inner { a: 5, b: -6 },
    };
    for runtime in [false, true] {
        let check = LeakCheck::start();
        let mut native = vec![0u8; Rec::NATIVE_SIZE];
        // SAFETY: a zeroed Rec for the callee to fill.
        unsafe { fill(native.as_mut_ptr()) };
        // SAFETY: C filled every field with valid native data.
        unsafe {
            if runtime {
                let plan = plan();
                let mut want = value_of(&expected);
                if let Value::Struct(f) = &mut want {
                    f[15].1 = Value::Null; // a null SAFEARRAY reads as a null array
                }
                assert_eq!(plan.from_native(&native).unwrap(), want);
                plan.destroy(&mut native);
            } else {
                assert_eq!(Rec::from_native(&native).unwrap(), expected);
                Rec::destroy_native(&mut native);
            }
        }
        // C's three strings and the VARIANT's BSTR were freed by the engine.
        assert_eq!(check.live(), (-2, -2), "runtime path: {runtime}");
        // DestroyStructure nulled what it freed: the three string pointers and the VARIANT.
        let layout = Layout::of(&rec_desc()).unwrap();
        for f in ["name", "wname", "bname"] {
            let at = layout.offset_of(f).unwrap() as usize;
            assert_eq!(native[at..at + 8], [0; 8], "{f}");
        }
        let at = layout.offset_of("obj").unwrap() as usize;
        assert_eq!(native[at..at + 2], [0, 0], "VT_EMPTY");
    }
}

#[test]
fn in_out_sees_the_callees_changes_and_frees_its_replacements() {
    // SAFETY: the type matches the C declaration.
    let inout = unsafe { sym::<CheckIn>("rec_inout") };
    let mut want = sample();
    want.id += 1;
    want.flag = false;
    want.name = Some("replaced".into());
    want.bname = Some("new".into());
    want.tag = "Tag".into();
    want.inner.b = -1;
    want.list[0] = 100;
    want.obj = Value::I32(43);
    for runtime in [false, true] {
        let check = LeakCheck::start();
        let plan = plan();
        let mut native = vec![0u8; Rec::NATIVE_SIZE];
        if runtime {
            plan.to_native(&value_of(&sample()), &mut native).unwrap();
        } else {
            sample().to_native(&mut native).unwrap();
        }
        // SAFETY: a complete native Rec; the callee frees what it replaces with `free`.
        assert_eq!(unsafe { inout(native.as_mut_ptr().cast()) }, 0);
        // SAFETY: the Rec as the callee left it.
        unsafe {
            if runtime {
                assert_eq!(plan.from_native(&native).unwrap(), value_of(&want));
                plan.destroy(&mut native);
            } else {
                assert_eq!(Rec::from_native(&native).unwrap(), want);
                Rec::destroy_native(&mut native);
            }
        }
        // Ours: LPStr, LPWStr (CoTaskMem), BSTR, SAFEARRAY (descriptor + data, one block).
        // C freed the LPStr and BSTR and made new ones, which destroy freed: the count balances.
        check.assert_no_leaks();
    }
}

#[test]
fn arrays_of_structs_cross_in_and_out() {
    // SAFETY: the types match the C declarations.
    let (sum, fill) = unsafe {
        (
            sym::<unsafe extern "C" fn(*const u8, i32) -> i64>("recs_sum"),
            sym::<unsafe extern "C" fn(*mut u8, i32) -> ()>("recs_fill"),
        )
    };
    let check = LeakCheck::start();
    let n = 5;
    let size = Rec::NATIVE_SIZE;
    let plan = plan();
    let items: Vec<Rec> = (0..n)
        .map(|i| Rec { id: 10 * i as i32, flag: i % 2 == 1, name: Some(format!("item{i}")), ..sample() })
        .collect();
    // In, derive and runtime elements side by side in one native array.
    let mut native = vec![0u8; size * n];
    for (i, item) in items.iter().enumerate() {
        let slot = &mut native[i * size..(i + 1) * size];
        if i % 2 == 0 {
            item.to_native(slot).unwrap();
        } else {
            plan.to_native(&value_of(item), slot).unwrap();
        }
    }
    // SAFETY: n complete native Recs.
    assert_eq!(unsafe { sum(native.as_ptr(), n as i32) }, (0..n as i64).map(|i| 10 * i).sum::<i64>());
    for i in 0..n {
        // SAFETY: element i was written by to_native.
        unsafe { plan.destroy(&mut native[i * size..(i + 1) * size]) };
    }
    check.assert_no_leaks();

    // Out: the callee fills the array; every element is read back and freed.
    let mut out = vec![0u8; size * n];
    // SAFETY: room for n Recs.
    unsafe { fill(out.as_mut_ptr(), n as i32) };
    for i in 0..n {
        let slot = &mut out[i * size..(i + 1) * size];
        // SAFETY: C filled the element.
        let r = unsafe { Rec::from_native(slot) }.unwrap();
        assert_eq!((r.id, r.flag, r.name.as_deref()), (1000 + i as i32, i % 2 == 1, Some(format!("out{i}").as_str())));
        // SAFETY: as above.
        unsafe { Rec::destroy_native(slot) };
    }
    assert_eq!(check.live(), (-(n as isize), 0));
}
