//! Instruction count of one runtime-plan conversion (run under callgrind).
use marshal_core::plan::Plan;
use marshal_core::value::Value;
use marshal_core::{StructBuilder, Target, TypeDesc};

fn main() {
    let ty = StructBuilder::sequential("B")
        .field("a", TypeDesc::I32)
        .field("b", TypeDesc::I32)
        .field("c", TypeDesc::I32)
        .field("d", TypeDesc::I32)
        .field("x", TypeDesc::F64)
        .field("y", TypeDesc::F64)
        .build()
        .unwrap();
    let plan = Plan::for_type(&ty, Target::host()).unwrap();
    let names: Vec<_> = plan.field_names().cloned().collect();
    let v = Value::Struct(
        names[..4]
            .iter()
            .map(|n| (n.clone(), Value::I32(1)))
            .chain(names[4..].iter().map(|n| (n.clone(), Value::F64(1.0))))
            .collect(),
    );
    let mut out = vec![0u8; 32];
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    for _ in 0..n {
        plan.to_native(std::hint::black_box(&v), &mut out).unwrap();
        std::hint::black_box(&out);
    }
}
