//! Property tests: random libraries (records, enums, interfaces, dispinterfaces, coclasses, aliases, modules)
//! written as MSFT and as SLTG read back as the same model.

mod common;

use common::strategies::library;
use marshal_typelib::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn msft_roundtrip(lib in library()) {
        let back = TypeLib::from_bytes(&lib.to_msft().unwrap()).unwrap();
        prop_assert_eq!(back, lib);
    }

    #[test]
    fn sltg_roundtrip(lib in library()) {
        // SLTG reports an unnamed parameter under its function's name, and FOPT/flags as its loader does; names
        // are given here so the model is one SLTG holds exactly.
        let mut lib = lib;
        for t in &mut lib.types {
            for f in &mut t.funcs {
                for (i, p) in f.params.iter_mut().enumerate() {
                    p.name.get_or_insert_with(|| format!("p{i}"));
                }
            }
            if t.kind == TypeKind::Dispatch {
                t.vft_size = (t.funcs.len() * 8) as u16;
            }
        }
        let bytes = lib.to_sltg(&()).unwrap();
        let back = TypeLib::from_bytes(&bytes).unwrap();
        prop_assert_eq!(back, lib);
    }
}
