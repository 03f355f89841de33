//! Compiles the C fixtures of the tests (`tests/c/*.c`) and links them into test targets only: the library
//! itself contains no C.

fn main() {
    let fixtures = ["tests/c/late_bound.c", "tests/c/typeinfo_dump.c"];
    for f in fixtures {
        println!("cargo::rerun-if-changed={f}");
    }
    let objects = cc::Build::new()
        .files(fixtures)
        .warnings(true)
        .extra_warnings(true)
        .flag_if_supported("-std=c99")
        .compile_intermediates();
    for obj in objects {
        // Object files (not an archive) so every symbol is kept whatever the link order.
        println!("cargo::rustc-link-arg-tests={}", obj.display());
    }
}
