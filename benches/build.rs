//! Builds `native/nop.c` into a shared library (`libmarshal_bench_nop.so`, gcc -O2,
//! as the anchors' `anchors_native.c`) and links the benchmarks and examples to it,
//! so the P/Invoke call-overhead baseline is a real call into a shared object (a
//! libc function such as `abs` is a builtin the compiler inlines, not a call).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let src = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("native/nop.c");
    println!("cargo:rerun-if-changed={}", src.display());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let cc = std::env::var("CC").unwrap_or_else(|_| "gcc".into());
    let status = Command::new(&cc)
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(out_dir.join("libmarshal_bench_nop.so"))
        .arg(&src)
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!("building {} with {cc} failed: {other:?}", src.display()),
    }
    println!("cargo:rustc-link-search=native={}", out_dir.display());
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", out_dir.display());
}
