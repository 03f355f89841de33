//! Struct descriptors built from fuzz bytes: building, resolving and laying out
//! never panics, and every layout is self-consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use marshal_core::types::{BoolRepr, CharRepr, CharSet, StringRepr};
use marshal_core::{classify, Layout, LayoutKind, StructBuilder, Target, TypeDesc, TypeSet, VarType};

fn leaf(b: u8, n: u8) -> TypeDesc {
    match b % 16 {
        0 => TypeDesc::U8,
        1 => TypeDesc::I16,
        2 => TypeDesc::I32,
        3 => TypeDesc::F64,
        4 => TypeDesc::ISIZE,
        5 => TypeDesc::Bool(BoolRepr::VariantBool),
        6 => TypeDesc::Char(CharRepr::ByCharSet),
        7 => TypeDesc::String(StringRepr::LPWStr),
        8 => TypeDesc::ByValTStr(n as u32),
        9 => TypeDesc::by_val_array(TypeDesc::I64, n as u32),
        10 => TypeDesc::Variant,
        11 => TypeDesc::Decimal,
        12 => TypeDesc::SafeArray(VarType(n as u16)),
        13 => TypeDesc::named(["A", "B", "C"][n as usize % 3]),
        14 => TypeDesc::by_val_array(TypeDesc::named(["A", "B", "C"][n as usize % 3]), (n % 4) as u32),
        _ => TypeDesc::Guid,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut set = TypeSet::new();
    for (i, chunk) in data.chunks(16).take(3).enumerate() {
        let name = ["A", "B", "C"][i];
        let kind =
            if chunk.first().copied().unwrap_or(0) & 1 == 0 { LayoutKind::Sequential } else { LayoutKind::Explicit };
        let mut b = StructBuilder::new(name, kind)
            .pack(chunk.get(1).copied().unwrap_or(0) as u32)
            .charset([CharSet::Ansi, CharSet::Unicode, CharSet::Auto][chunk.get(2).copied().unwrap_or(0) as usize % 3])
            .size(chunk.get(3).copied().unwrap_or(0) as u32 % 64);
        for (j, pair) in chunk.get(4..).unwrap_or(&[]).chunks(2).enumerate() {
            let ty = leaf(pair[0], pair.get(1).copied().unwrap_or(1));
            let fname = format!("f{j}");
            b = if kind == LayoutKind::Explicit {
                b.field_at(&fname, pair.get(1).copied().unwrap_or(0) as u32 % 48, ty)
            } else {
                b.field(&fname, ty)
            };
        }
        let _ = set.declare(b);
    }
    if let Ok(ty) = set.resolve("A") {
        let _ = classify(&ty);
        for target in [Target::UNIX_64, Target::UNIX_32, Target::WINDOWS_64, Target::WINDOWS_32] {
            if let Ok(l) = Layout::for_target(&ty, target) {
                for f in l.fields() {
                    assert!(f.offset as u64 + f.size as u64 <= l.size() as u64, "field past the end of its struct");
                }
            }
        }
    }
});
