//! The bindings generator: Rust for stdole2 (Wine's) and for the widl-built test library is generated, compiled
//! in a scratch crate, and used there: every record's native size and every vtable's size must equal the type
//! library's TYPEATTR, and constants, enums and CLSIDs must carry the library's values.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::*;
use marshal_typelib::bindings::{generate, ident};
use marshal_typelib::*;

/// Assertions (Rust source) that check the generated module `m` against the library.
fn checks(lib: &TypeLib, m: &str, code: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "    assert_eq!({m}::LIBID, \"{}\".parse::<marshal_core::Guid>().unwrap());", lib.attr.guid);
    for ti in &lib.types {
        let name = ident(&ti.name);
        match ti.kind {
            TypeKind::Record
                if code.contains(&format!("#[derive(Marshal, Clone, Copy, Debug, PartialEq)]\npub struct {name} ")) =>
            {
                let _ = writeln!(s, "    assert_eq!(<{m}::{name} as Marshal>::NATIVE_SIZE, {}, \"{name}\");", ti.size);
            }
            TypeKind::Record | TypeKind::Union => {
                let _ = writeln!(s, "    assert_eq!(std::mem::size_of::<{m}::{name}>(), {}, \"{name}\");", ti.size);
            }
            TypeKind::Interface => {
                let _ = writeln!(
                    s,
                    "    assert_eq!(std::mem::size_of::<{m}::{name}Vtbl>(), {}, \"{name}Vtbl\");",
                    ti.vft_size
                );
            }
            TypeKind::Dispatch if ti.flags & typeflags::DUAL != 0 => {
                let _ = writeln!(
                    s,
                    "    assert_eq!(std::mem::size_of::<{m}::{name}Vtbl>(), {}, \"{name}Vtbl\");",
                    ti.vft_size
                );
            }
            TypeKind::Coclass => {
                let _ = writeln!(
                    s,
                    "    assert_eq!({m}::CLSID_{name}, \"{}\".parse::<marshal_core::Guid>().unwrap());",
                    ti.guid
                );
            }
            TypeKind::Enum => {
                for v in &ti.vars {
                    if let VarValue::Const(c) = &v.value {
                        let _ = writeln!(
                            s,
                            "    assert_eq!({m}::{name}::{}.0, {});",
                            ident(&v.name),
                            c.as_i64().unwrap() as i32
                        );
                    }
                }
            }
            _ => {}
        }
    }
    s
}

#[test]
fn generated_bindings_compile_and_agree() {
    let Some(dir) = wine_dir() else { return };
    let Some(testlib_path) = widl("testlib", 64) else { return };
    let resolver = SearchPath::new([dir.clone()]);
    let stdole = TypeLib::from_file(dir.join("stdole2.tlb")).unwrap();
    let testlib = TypeLib::from_file(&testlib_path).unwrap();
    let stdole_code = generate(&stdole, &resolver).unwrap();
    let testlib_code = generate(&testlib, &resolver).unwrap();

    let krate = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bindings-check");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../marshal-core");
    let com = Path::new(env!("CARGO_MANIFEST_DIR")).join("../marshal-com");
    std::fs::write(
        krate.join("Cargo.toml"),
        format!(
            "[package]\nname = \"bindings-check\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nmarshal-core = {{ path = {:?} }}\nmarshal-com = {{ path = {:?} }}\n\n[workspace]\n",
            core.canonicalize().unwrap(),
            com.canonicalize().unwrap()
        ),
    )
    .unwrap();
    let mut main = String::new();
    main.push_str("use marshal_core::marshal::Marshal;\n");
    main.push_str(&stdole_code);
    main.push_str(&testlib_code);
    main.push_str(&generate(&rust_described_lib(), &resolver).unwrap());
    main.push_str("\nfn main() {\n");
    main.push_str(&checks(&stdole, "stdole", &stdole_code));
    main.push_str(&checks(&testlib, "marshaltest", &testlib_code));
    // Used: a generated record marshals to the bytes of a GUID; module constants and DISPIDs are there.
    main.push_str(
        "    let g = stdole::GUID { Data1: 0x00020400, Data2: 0, Data3: 0, Data4: [0xC0, 0, 0, 0, 0, 0, 0, 0x46] };\n\
         \x20   let mut bytes = [0u8; 16];\n\
         \x20   g.to_native(&mut bytes).unwrap();\n\
         \x20   assert_eq!(bytes, marshal_core::iunknown::IID_IDISPATCH.to_bytes());\n\
         \x20   assert_eq!(marshaltest::idualthing_dispids::Compute, 4);\n\
         \x20   assert_eq!(rustcalc::consts::Answer, 42);\n\
         \x20   assert_eq!(rustcalc::consts::Big, -100_000);\n\
         \x20   assert_eq!(rustcalc::consts::Greeting, \"hello\");\n\
         \x20   assert_eq!(marshaltest::Colour::Blue, marshaltest::Colour(-3));\n\
         \x20   println!(\"bindings ok\");\n}\n",
    );
    std::fs::write(krate.join("src/main.rs"), main).unwrap();
    let out = std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--offline", "--manifest-path"])
        .arg(krate.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("bindings-target"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "generated bindings failed to build or check:\n{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "bindings ok");
}

#[test]
fn generator_handles_the_rust_described_library() {
    let Some(dir) = wine_dir() else { return };
    let code = generate(&rust_described_lib(), &SearchPath::new([dir])).unwrap();
    assert!(code.contains("pub mod rustcalc {"));
    assert!(code.contains("pub interface ICalc : ::marshal_com::IUnknown {"));
    assert!(code.contains("pub interface IDualCalc : IDispatch {"));
    assert!(code.contains("pub const CLSID_Calc: ::marshal_core::Guid"));
    assert!(code.contains("pub const Blue: Colour = Colour(-3);"));
}
