//! Property test: for random struct descriptors made of blittable primitives
//! (any Pack, nested up to 3 deep, inline arrays), the engine's layout equals
//! what the C compiler gives the same structs under `#pragma pack`.
//!
//! The independent check is gcc: the test writes every generated struct to one
//! C file that prints `sizeof` and each field's `offsetof`, compiles it with the
//! system C compiler, runs it, and compares.

use std::fmt::Write as _;
use std::process::Command;

use marshal_core::{Layout, Prim, StructBuilder, Target, TypeDesc};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

#[derive(Debug, Clone)]
enum FieldKind {
    Prim(Prim),
    Array(Prim, u32),
    Nested(Box<GenStruct>),
}

#[derive(Debug, Clone)]
struct GenStruct {
    pack: u32,
    fields: Vec<FieldKind>,
}

fn prim() -> impl Strategy<Value = Prim> {
    prop_oneof![
        Just(Prim::I8),
        Just(Prim::U8),
        Just(Prim::I16),
        Just(Prim::U16),
        Just(Prim::I32),
        Just(Prim::U32),
        Just(Prim::I64),
        Just(Prim::U64),
        Just(Prim::F32),
        Just(Prim::F64),
        Just(Prim::ISize),
        Just(Prim::USize),
    ]
}

fn pack() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), Just(1), Just(2), Just(4), Just(8), Just(16), Just(32), Just(64), Just(128)]
}

fn gen_struct(depth: u32) -> BoxedStrategy<GenStruct> {
    let leaf = prop_oneof![
        4 => prim().prop_map(FieldKind::Prim),
        1 => (prim(), 1u32..5).prop_map(|(p, n)| FieldKind::Array(p, n)),
    ];
    let field = if depth == 0 {
        leaf.boxed()
    } else {
        prop_oneof![5 => leaf, 1 => gen_struct(depth - 1).prop_map(|s| FieldKind::Nested(Box::new(s)))].boxed()
    };
    (pack(), prop::collection::vec(field, 1..7)).prop_map(|(pack, fields)| GenStruct { pack, fields }).boxed()
}

fn c_type(p: Prim) -> &'static str {
    match p {
        Prim::I8 => "int8_t",
        Prim::U8 => "uint8_t",
        Prim::I16 => "int16_t",
        Prim::U16 => "uint16_t",
        Prim::I32 => "int32_t",
        Prim::U32 => "uint32_t",
        Prim::I64 => "int64_t",
        Prim::U64 => "uint64_t",
        Prim::F32 => "float",
        Prim::F64 => "double",
        Prim::ISize => "intptr_t",
        Prim::USize => "uintptr_t",
    }
}

/// Emits the C definition (nested ones first) and builds the TypeDesc.
fn emit(s: &GenStruct, name: &str, c: &mut String, counter: &mut usize) -> TypeDesc {
    let mut b = StructBuilder::sequential(name).pack(s.pack);
    let mut members = String::new();
    for (i, f) in s.fields.iter().enumerate() {
        let fname = format!("f{i}");
        match f {
            FieldKind::Prim(p) => {
                writeln!(members, "    {} {fname};", c_type(*p)).unwrap();
                b = b.field(&fname, TypeDesc::Prim(*p));
            }
            FieldKind::Array(p, n) => {
                writeln!(members, "    {} {fname}[{n}];", c_type(*p)).unwrap();
                b = b.field(&fname, TypeDesc::by_val_array(TypeDesc::Prim(*p), *n));
            }
            FieldKind::Nested(inner) => {
                *counter += 1;
                let iname = format!("{name}_n{counter}");
                let ity = emit(inner, &iname, c, counter);
                writeln!(members, "    struct {iname} {fname};").unwrap();
                b = b.field(&fname, ity);
            }
        }
    }
    // Pack 0 is the default; Pack >= 16 caps nothing here (no field aligns past 8).
    if s.pack != 0 {
        writeln!(c, "#pragma pack(push, {})", s.pack).unwrap();
    }
    writeln!(c, "struct {name} {{\n{members}}};").unwrap();
    if s.pack != 0 {
        writeln!(c, "#pragma pack(pop)").unwrap();
    }
    b.build().expect("generated descriptors are valid")
}

#[test]
fn random_blittable_structs_lay_out_as_gcc_does() {
    let mut runner = TestRunner::new_with_rng(
        Config { cases: 300, ..Config::default() },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = gen_struct(3);
    let mut c = String::from("#include <stdio.h>\n#include <stddef.h>\n#include <stdint.h>\n");
    let mut main = String::from("int main(void) {\n");
    let mut expected = Vec::new();
    let mut counter = 0;
    for case in 0..300 {
        let s = strategy.new_tree(&mut runner).unwrap().current();
        let name = format!("S{case}");
        let ty = emit(&s, &name, &mut c, &mut counter);
        let layout = Layout::for_target(&ty, Target::host()).unwrap();
        writeln!(main, "    printf(\"{name} %zu\", sizeof(struct {name}));").unwrap();
        let mut ours = format!("{name} {}", layout.size());
        for (path, off) in layout.flat_offsets() {
            // offsetof on nested members works with a dotted designator in gcc.
            writeln!(main, "    printf(\" {path}=%zu\", offsetof(struct {name}, {path}));").unwrap();
            write!(ours, " {path}={off}").unwrap();
        }
        writeln!(main, "    printf(\"\\n\");").unwrap();
        expected.push(ours);
    }
    main.push_str("    return 0;\n}\n");
    c.push_str(&main);

    let dir = std::env::temp_dir().join(format!("marshal_layout_vs_c_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("layouts.c");
    let exe = dir.join("layouts");
    std::fs::write(&src, &c).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc).arg("-O0").arg("-o").arg(&exe).arg(&src).status().expect("a C compiler (cc)");
    assert!(status.success(), "C compilation failed: {}", src.display());
    let out = Command::new(&exe).output().unwrap();
    let got = String::from_utf8(out.stdout).unwrap();
    let got: Vec<&str> = got.lines().collect();
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e, "engine layout differs from gcc (C source: {})", src.display());
    }
    std::fs::remove_dir_all(&dir).ok();
}
