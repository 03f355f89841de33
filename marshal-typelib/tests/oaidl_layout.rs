//! The native structures of `ITypeInfo` / `ITypeLib` (marshal_typelib::oaidl) against the C compiler's layout of
//! Wine's `oaidl.h`: every size and field offset computed for Win64 and Win32 becomes a `_Static_assert` that gcc
//! checks with `-m64`, and with `-m32 -malign-double` (MSVC's 8-byte alignment of `double` and `LONGLONG`); and the
//! host's `#[repr(C)]` declarations agree with the computed Win64 layout.

use marshal_core::layout::Target;
use marshal_typelib::oaidl::{host_fields, host_size, layouts};

const WINE_INCLUDE: &str = "/usr/include/wine/wine/windows";

/// The C of one `_Static_assert` per size and per named field offset of every structure on `target`.
fn assertions(target: Target) -> String {
    let mut c = String::from("#include <windef.h>\n#include <oaidl.h>\n#include <stddef.h>\n");
    let fields = host_fields();
    for (name, layout) in layouts(target) {
        c += &format!("_Static_assert(sizeof({name}) == {}, \"sizeof {name}\");\n", layout.size());
        let names = &fields.iter().find(|(n, _)| *n == name).unwrap().1;
        // The unions of TYPEDESC, ELEMDESC and VARDESC are nameless in the header: their members are reached
        // directly, at the union's offset.
        for (field, _, _) in names.iter().filter(|(f, _, _)| *f != "u") {
            let offset = layout.offset_of(field).unwrap_or_else(|| panic!("{name}.{field}"));
            c += &format!("_Static_assert(offsetof({name}, {field}) == {offset}, \"{name}.{field}\");\n");
        }
    }
    c += "_Static_assert(offsetof(VARDESC, oInst) == offsetof(VARDESC, lpvarValue), \"VARDESC union\");\n";
    c
}

fn check_with_gcc(target: Target, flags: &[&str]) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join(format!("oaidl_layout_{}.c", flags.join("_").replace('-', "")));
    std::fs::write(&file, assertions(target)).unwrap();
    let out = std::process::Command::new("gcc")
        .args(flags)
        .args(["-w", "-fsyntax-only", "-D_WIN32", "-DWINE_NO_LONG_TYPES"])
        .arg(format!("-I{WINE_INCLUDE}"))
        .arg(format!("-I{}", WINE_INCLUDE.replace("windows", "msvcrt")))
        .arg(&file)
        .output()
        .expect("run gcc");
    assert!(out.status.success(), "{flags:?}:\n{}", String::from_utf8_lossy(&out.stderr));
}

fn wine_headers() -> bool {
    if std::path::Path::new(WINE_INCLUDE).join("oaidl.h").exists() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("Wine's headers are missing ({WINE_INCLUDE}): .ci/run must install wine64-tools");
    }
    eprintln!("skipped: Wine's headers not installed");
    false
}

#[test]
fn win64_layouts_match_wines_oaidl_h() {
    if wine_headers() {
        check_with_gcc(Target::WINDOWS_64, &["-m64"]);
    }
}

#[test]
fn win32_layouts_match_wines_oaidl_h() {
    if wine_headers() {
        check_with_gcc(Target::WINDOWS_32, &["-m32", "-malign-double"]);
    }
}

#[test]
fn host_declarations_match_the_computed_layout() {
    let target = if cfg!(target_pointer_width = "64") { Target::WINDOWS_64 } else { Target::WINDOWS_32 };
    let computed = layouts(target);
    for (name, fields) in host_fields() {
        let layout = &computed.iter().find(|(n, _)| *n == name).unwrap().1;
        assert_eq!(host_size(name), Some(layout.size() as usize), "sizeof {name}");
        for (field, offset, _) in fields {
            assert_eq!(layout.offset_of(field), Some(offset as u32), "{name}.{field}");
        }
    }
}
