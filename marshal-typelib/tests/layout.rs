//! Type info → marshal-core: every record and union of Wine's libraries and of the widl-built test library maps to
//! a struct TypeDesc whose Layout (the CLR's rules) agrees with the library's TYPEATTR size and VARDESC offsets
//! (which MIDL / widl computed with the C compiler's rules). And methods map to COM call signatures.

mod common;

use common::*;
use marshal_core::{Layout, Target, TypeDesc};
use marshal_typelib::*;

fn target(lib: &TypeLib) -> Target {
    match lib.attr.syskind {
        SysKind::Win64 => Target::WINDOWS_64,
        _ => Target::WINDOWS_32,
    }
}

/// Checks every record/union; returns how many were checked.
fn check_records(label: &str, lib: &TypeLib, resolver: &dyn Resolver) -> usize {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (i, ti) in lib.types.iter().enumerate() {
        if !matches!(ti.kind, TypeKind::Record | TypeKind::Union) {
            continue;
        }
        let desc = match Mapper::new(lib, resolver).record(i) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{label} {}: {e}", ti.name));
                continue;
            }
        };
        let layout = match Layout::for_target(&desc, target(lib)) {
            Ok(l) => l,
            Err(e) => {
                failures.push(format!("{label} {}: layout: {e}", ti.name));
                continue;
            }
        };
        if layout.size() != ti.size {
            failures.push(format!("{label} {}: size {} != TYPEATTR {}", ti.name, layout.size(), ti.size));
        }
        for (v, f) in ti.vars.iter().zip(layout.fields()) {
            if let VarValue::Offset(off) = v.value {
                if f.offset != off {
                    failures.push(format!("{label} {}.{}: offset {} != VARDESC {}", ti.name, v.name, f.offset, off));
                }
            }
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}

#[test]
fn wine_records_agree_with_typeattr() {
    let Some(dir) = wine_dir() else { return };
    let resolver = SearchPath::new([dir.clone()]);
    let mut total = 0;
    for f in ["stdole2.tlb", "stdole32.tlb", "activeds.tlb", "mshtml.tlb", "msxml3.dll", "msado15.dll"] {
        let lib = TypeLib::from_file(dir.join(f)).unwrap();
        total += check_records(f, &lib, &resolver);
    }
    assert!(total >= 5, "only {total} records checked");
}

#[test]
fn widl_records_agree_with_typeattr() {
    for arch in [64, 32] {
        let Some(path) = widl("testlib", arch) else { return };
        let resolver = SearchPath::new([WINE_DIR]);
        let lib = TypeLib::from_file(&path).unwrap();
        let n = check_records(&format!("testlib{arch}"), &lib, &resolver);
        assert!(n >= 3, "Inner, Sample, Number: {n}");
    }
}

#[test]
fn method_signatures() {
    let Some(path) = widl("testlib", 64) else { return };
    let resolver = SearchPath::new([WINE_DIR]);
    let lib = TypeLib::from_file(&path).unwrap();
    let plain = &lib.types[lib.find_type("IPlain").unwrap()];
    let sig = |name: &str| {
        let f = plain.funcs.iter().find(|f| f.name == name).unwrap();
        com_signature(&lib, f, &resolver).unwrap()
    };
    let add = sig("Add");
    assert!(add.returns_hresult);
    assert_eq!(add.ret, Some(TypeDesc::I32));
    assert_eq!(add.params.len(), 2);
    assert_eq!(add.vtable_offset, 3 * 8);
    let echo = sig("Echo");
    let dirs: Vec<_> = echo.params.iter().map(|p| (p.direction, p.by_ref)).collect();
    assert_eq!(dirs, [(Direction::In, false), (Direction::InOut, true), (Direction::Out, true)]);
    assert_eq!(echo.params[1].ty, TypeDesc::String(marshal_core::StringRepr::BStr));
    assert_eq!(echo.ret, None);
    let d = sig("Defaults");
    assert_eq!(d.params[0].default, Some(Value::I4(42)));
    assert_eq!(d.params[1].default, Some(Value::Bstr(Some("hi".into()))));
    assert!(d.params[3].optional);
    assert_eq!(d.ret, Some(TypeDesc::Variant));
    let l = sig("WithLcid");
    assert!(l.params[1].lcid);
    let rec = sig("Record");
    assert!(rec.params[0].by_ref && rec.params[0].ty.as_struct().is_some());
    assert_eq!(rec.params[2].ty, TypeDesc::I32);
    let arrays = sig("Arrays");
    assert_eq!(arrays.params[0].ty, TypeDesc::SafeArray(marshal_core::VarType::I4));
    assert_eq!(arrays.ret, Some(TypeDesc::SafeArray(marshal_core::VarType::BSTR)));
    let font = sig("Font");
    assert_eq!(font.ret, Some(TypeDesc::Interface(marshal_core::InterfaceKind::IDispatch)));
    // A module function returns its value natively.
    let module = &lib.types[lib.find_type("Functions").unwrap()];
    let twice = com_signature(&lib, &module.funcs[0], &resolver).unwrap();
    assert!(!twice.returns_hresult);
    assert_eq!(twice.ret, Some(TypeDesc::I32));
    assert_eq!(module.funcs[1].entry, Some(DllEntry::Ordinal(7)));
}
