//! Gives the shared library a SONAME on ELF targets, so hosts linked against it record
//! `libmarshal_capi.so` rather than the path it was linked from.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(os.as_str(), "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly" | "illumos") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmarshal_capi.so");
    }
}
