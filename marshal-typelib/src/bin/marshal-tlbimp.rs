//! `marshal-tlbimp`: writes Rust bindings for a type library.
//!
//! ```text
//! marshal-tlbimp LIBRARY [--resource N] [--search DIR]... [-o OUT.rs]
//! ```
//! LIBRARY is a .tlb (MSFT or SLTG) or a PE file (its TYPELIB resource N, 1 by default); `--search` adds a
//! directory where imported libraries (stdole2.tlb, …) are looked for.

use std::process::ExitCode;

use marshal_typelib::{bindings, SearchPath, TypeLib};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut input, mut resource, mut dirs, mut output) = (None, None, Vec::new(), None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--resource" => resource = args.next().and_then(|n| n.parse::<u32>().ok()),
            "--search" => dirs.extend(args.next()),
            "-o" => output = args.next(),
            "-h" | "--help" => {
                println!("usage: marshal-tlbimp LIBRARY [--resource N] [--search DIR]... [-o OUT.rs]");
                return ExitCode::SUCCESS;
            }
            _ if input.is_none() => input = Some(a),
            _ => {
                eprintln!("marshal-tlbimp: unexpected argument {a:?}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(input) = input else {
        eprintln!("usage: marshal-tlbimp LIBRARY [--resource N] [--search DIR]... [-o OUT.rs]");
        return ExitCode::from(2);
    };
    let lib = match resource {
        Some(n) => TypeLib::from_file_resource(&input, n),
        None => TypeLib::from_file(&input),
    };
    let lib = match lib {
        Ok(l) => l,
        Err(e) => {
            eprintln!("marshal-tlbimp: {input}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match bindings::generate(&lib, &SearchPath::new(dirs)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("marshal-tlbimp: {e}");
            return ExitCode::FAILURE;
        }
    };
    match output {
        Some(path) => {
            if let Err(e) = std::fs::write(&path, code) {
                eprintln!("marshal-tlbimp: {path}: {e}");
                return ExitCode::FAILURE;
            }
        }
        None => print!("{code}"),
    }
    ExitCode::SUCCESS
}
