//! The project's main command. Until the throughput suite lands, it prints the
//! classification and native layout of a few example types.

use marshal_core::{classify, Layout, StringRepr, StructBuilder, Target, TypeDesc};

fn main() {
    let inner = StructBuilder::sequential("Inner").field("flag", TypeDesc::bool_win32()).field("n", TypeDesc::I16);
    let examples = vec![
        StructBuilder::sequential("Point").field("x", TypeDesc::I32).field("y", TypeDesc::I32),
        StructBuilder::sequential("Packed").pack(1).field("tag", TypeDesc::U8).field("value", TypeDesc::F64),
        StructBuilder::sequential("Named")
            .field("id", TypeDesc::I32)
            .field("name", TypeDesc::String(StringRepr::LPWStr))
            .field("inner", inner.build().expect("valid")),
        StructBuilder::sequential("Record").field("v", TypeDesc::Variant).field("d", TypeDesc::Decimal),
    ];
    for b in examples {
        let ty = b.build().expect("example descriptors are valid");
        let name = ty.display_name();
        for target in [Target::UNIX_64, Target::WINDOWS_32] {
            let l = Layout::for_target(&ty, target).expect("layout");
            let offsets: Vec<String> = l.flat_offsets().iter().map(|(p, o)| format!("{p}@{o}")).collect();
            println!(
                "{name:<16} ptr{}: size {:>3} align {} [{}]",
                target.pointer_width * 8,
                l.size(),
                l.align(),
                offsets.join(", ")
            );
        }
        println!("{:<16} {}", "", classify(&ty));
    }
}
