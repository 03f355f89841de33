//! `marshal-conformance [--api rust|c|c:LIB.so] FILE.jsonl...`: checks the engine against
//! vector files and prints, per file and family, passed / failed / not supported yet /
//! skipped as quirk, the first failures with a diff, and a last line `N passed, N failed`.
//! Exits non-zero on any failure.
//!
//! `--api` (or `MARSHAL_CONFORMANCE_API`) chooses what the Wine oleaut32 families call: the
//! Rust API (default), the C ABI of marshal-capi linked into the runner (`c`), or the
//! exports of a shared library (`c:path/libmarshal_capi.so`).

use std::path::PathBuf;
use std::process::ExitCode;

use marshal_conformance::abi::{set_api, Api};
use marshal_conformance::runner::{check_file, Counts};

const SHOWN_FAILURES: usize = 10;

fn main() -> ExitCode {
    const USAGE: &str = "usage: marshal-conformance [-v] [--api rust|c|c:LIB.so] FILE.jsonl...";
    let mut files: Vec<PathBuf> = Vec::new();
    let mut verbose = false;
    let mut api_spec = std::env::var("MARSHAL_CONFORMANCE_API").ok();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-v" | "--verbose" => verbose = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--api" => api_spec = args.next(),
            _ if arg.starts_with("--api=") => api_spec = Some(arg["--api=".len()..].to_string()),
            _ => files.push(arg.into()),
        }
    }
    if files.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let api = match api_spec.as_deref().map(Api::parse).unwrap_or(Ok(Api::Rust)) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("--api: {e}");
            return ExitCode::from(2);
        }
    };
    set_api(api);
    println!("oleaut32 families through the {}", api.describe());
    let mut total = Counts::default();
    for f in &files {
        let report = match check_file(f) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                return ExitCode::from(2);
            }
        };
        println!("{}", report.file);
        for (family, c) in &report.by_family {
            println!(
                "  {family:<14} {:>5} passed {:>5} failed {:>5} not supported yet {:>5} skipped (quirk)",
                c.passed, c.failed, c.unsupported, c.skipped_quirk
            );
        }
        let shown = if verbose { report.failures.len() } else { SHOWN_FAILURES };
        for fail in report.failures.iter().take(shown) {
            println!("  FAIL line {} {}", fail.line_no, fail.case);
            for d in &fail.diffs {
                println!("       {d}");
            }
        }
        if report.failures.len() > shown {
            println!("  … {} more failures (-v shows all)", report.failures.len() - shown);
        }
        if verbose {
            for (why, n) in &report.unsupported_reasons {
                println!("  unsupported ×{n}: {why}");
            }
        }
        total.merge(report.total());
    }
    println!("{} not supported yet, {} skipped as quirk", total.unsupported, total.skipped_quirk);
    println!("{} passed, {} failed", total.passed, total.failed);
    if total.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
