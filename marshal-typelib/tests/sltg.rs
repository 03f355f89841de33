//! SLTG: no tool here writes it, so the project's SLTG writer is checked against Wine's SLTG reader: every file the
//! writer makes loads in LoadTypeLib under Wine and dumps the same as this crate's reader reads it; and
//! writer → reader gives back the model.

mod common;

use common::*;
use marshal_typelib::*;

#[test]
fn rust_described_library_roundtrips_through_sltg() {
    let lib = rust_described_lib();
    let bytes = lib.to_sltg(&()).unwrap();
    assert_eq!(Format::detect(&bytes).unwrap(), Format::Sltg);
    let back = TypeLib::from_bytes(&bytes).unwrap();
    for (a, b) in lib.types.iter().zip(&back.types) {
        assert_eq!(a, b, "type {}", a.name);
    }
    assert_eq!(back, lib);
}

#[test]
fn rust_described_library_roundtrips_through_msft() {
    let lib = rust_described_lib();
    let back = TypeLib::from_bytes(&lib.to_msft().unwrap()).unwrap();
    assert_eq!(back, lib);
}

/// Both writers' files for the Rust-described library, loaded by Wine: the same dump as our reader's.
#[test]
fn written_files_load_in_wine() {
    let lib = rust_described_lib();
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("written-rust");
    std::fs::create_dir_all(&out).unwrap();
    for (label, bytes) in
        [("rustcalc.sltg.tlb", lib.to_sltg(&()).unwrap()), ("rustcalc.msft.tlb", lib.to_msft().unwrap())]
    {
        let path = out.join(label);
        std::fs::write(&path, &bytes).unwrap();
        let Some(lines) = oracle_dump(&path) else { return };
        let ours = TypeLib::from_bytes(&bytes).unwrap();
        assert_matches_oracle(label, &ours, Format::detect(&bytes).unwrap(), lines);
    }
}

/// Random libraries (a fixed seed: the same ones on every run), written as SLTG and as MSFT, loaded by Wine: the
/// same dump as our reader's.
#[test]
fn random_libraries_load_in_wine() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    if oracle_dump(std::path::Path::new("/nonexistent")).is_none() {
        return;
    }
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("written-random");
    std::fs::create_dir_all(&out).unwrap();
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    for i in 0..6 {
        let mut lib = common::strategies::library().new_tree(&mut runner).unwrap().current();
        // As the SLTG round trip: every parameter named, dispinterface vtables as SLTG loaders count them.
        for t in &mut lib.types {
            for f in &mut t.funcs {
                for (j, p) in f.params.iter_mut().enumerate() {
                    p.name.get_or_insert_with(|| format!("p{j}"));
                }
            }
            if t.kind == TypeKind::Dispatch {
                t.vft_size = (t.funcs.len() * 8) as u16;
            }
        }
        for (label, bytes) in [
            (format!("random{i}.sltg.tlb"), lib.to_sltg(&()).unwrap()),
            (format!("random{i}.msft.tlb"), lib.to_msft().unwrap()),
        ] {
            let path = out.join(&label);
            std::fs::write(&path, &bytes).unwrap();
            let lines = oracle_dump(&path).unwrap();
            let ours = TypeLib::from_bytes(&bytes).unwrap();
            assert_matches_oracle(&label, &ours, Format::detect(&bytes).unwrap(), lines);
        }
    }
}
