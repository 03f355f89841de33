//! The type library reader on arbitrary bytes (MSFT, SLTG, PE): it must return a value or a typed error, never
//! panic, read out of bounds, recurse without bound or allocate by an unchecked count. Whatever it accepts is then
//! walked through the ITypeInfo view, the record mapping and the call signatures, which must not panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use marshal_typelib::{api::TypeInfoView, com_signature, Mapper, TypeKind, TypeLib};

fuzz_target!(|data: &[u8]| {
    let Ok(lib) = TypeLib::from_bytes(data) else { return };
    let resolver = ();
    for (i, ti) in lib.types.iter().enumerate() {
        let view = TypeInfoView::new(&lib, i, &resolver);
        let _ = view.type_attr();
        let _ = view.impl_types();
        for f in view.funcs() {
            let _ = com_signature(f.lib(), &f.func, &resolver);
        }
        if matches!(ti.kind, TypeKind::Record | TypeKind::Union) {
            if let Ok(desc) = Mapper::new(&lib, &resolver).record(i) {
                let _ = marshal_core::Layout::of(&desc);
            }
        }
    }
});
