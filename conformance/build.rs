//! Builds the oracle's native logger library (`oracle/native/oracle_native.c`)
//! that the pinvoke family calls, as the oracle itself does:
//! `gcc -shared -fPIC -O0 -o liboracle_native.so oracle_native.c`, except that the BSTRs
//! it makes get the engine's layout (a pointer-sized header, as CoreCLR's PAL and Wine:
//! `-DBSTR_HEADER=8` on 64-bit) so that the engine can free what the callee returns, and
//! a callee that replaces an in/out string frees the old one (`-DCALLEE_FREES_REPLACED`, the
//! COM rule), so that nothing the engine allocated leaks under the leak checkers.
//! Without a C compiler the family reports its lines as not supported.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let src = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("oracle/native/oracle_native.c");
    println!("cargo:rerun-if-changed={}", src.display());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("liboracle_native.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "gcc".into());
    let ok = cfg!(unix)
        && Command::new(&cc)
            .args(["-shared", "-fPIC", "-O0", "-DCALLEE_FREES_REPLACED"])
            .arg(format!(
                "-DBSTR_HEADER={}",
                std::env::var("CARGO_CFG_TARGET_POINTER_WIDTH").unwrap_or("64".into()).parse::<usize>().unwrap_or(64)
                    / 8
            ))
            .arg("-o")
            .arg(&out)
            .arg(&src)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    if ok {
        println!("cargo:rustc-env=ORACLE_NATIVE_SO={}", out.display());
    } else {
        println!("cargo:warning=could not build {} with {cc}: pinvoke lines will be unsupported", src.display());
        println!("cargo:rustc-env=ORACLE_NATIVE_SO=");
    }
}
