//! Issue 4's bar: every reference line of the VARIANT families agrees, checked with the
//! project's runner (verdict rules of vectors/README.md).

use std::path::Path;

use marshal_conformance::runner::check_file;

fn check(file: &str, families: &[&str], max_unsupported: usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors").join(file);
    let report = check_file(&path).unwrap();
    let mut unsupported = 0;
    for fam in families {
        let c = report.by_family.get(*fam).unwrap_or_else(|| panic!("no {fam} lines"));
        eprintln!(
            "{file}: {fam}: {} passed, {} failed, {} unsupported, {} skipped",
            c.passed, c.failed, c.unsupported, c.skipped_quirk
        );
        assert!(c.passed > 0, "{fam}: nothing passed");
        unsupported += c.unsupported;
    }
    let fails: Vec<String> =
        report.failures.iter().map(|f| format!("line {} {}: {}", f.line_no, f.case, f.diffs.join("; "))).collect();
    assert!(fails.is_empty(), "{} failing lines:\n{}", fails.len(), fails.join("\n"));
    assert!(unsupported <= max_unsupported, "{unsupported} lines not supported");
}

#[test]
fn wine_oleaut_variant_families_agree() {
    check("wine_oleaut.jsonl", &["change_type", "format", "parse", "vartime", "info"], 0);
}

/// 8 mono_variant lines stay unsupported: 4 SAFEARRAY-typed VARIANTs (safearray module),
/// 2 BYREF VARIANTs whose pointee the line does not record, and 2 wrapper objects whose
/// wrapped value the line does not record (BStrWrapper, plain object).
#[test]
fn mono_variant_lines_agree() {
    check("mono_variant.jsonl", &["variant"], 8);
}
