//! `include/oleaut.h` against the library: the prototypes name exactly the exported symbols,
//! every prototype has the type of the Rust function behind it (checked by gcc with
//! `__builtin_types_compatible_p` on a file generated from the Rust source), every name has
//! its `prefixed` mapping, and the header compiles as C11 (and C++11 when g++ is present).

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::Command;

use common::*;

/// The `export! { … }` functions of the crate's source: (name, C type of the function).
fn rust_exports() -> Vec<(String, String)> {
    export_fns().into_iter().map(|(name, ty, _)| (name, ty)).collect()
}

/// The `export! { … }` functions: (name, C type, body tokens as text).
fn export_fns() -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    let src = crate_dir().join("src");
    let mut files: Vec<_> = std::fs::read_dir(&src).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for item in file.items {
            let syn::Item::Macro(m) = item else { continue };
            if !m.mac.path.is_ident("export") {
                continue;
            }
            let f: syn::ItemFn = syn::parse2(m.mac.tokens.clone())
                .unwrap_or_else(|e| panic!("{}: export! body is not a fn: {e}", path.display()));
            assert!(f.sig.abi.as_ref().and_then(|a| a.name.as_ref()).is_some_and(|n| n.value() == "C"));
            let ret = match &f.sig.output {
                syn::ReturnType::Default => "void".to_string(),
                syn::ReturnType::Type(_, t) => c_type(t),
            };
            let args: Vec<String> = f
                .sig
                .inputs
                .iter()
                .map(|a| match a {
                    syn::FnArg::Typed(p) => c_type(&p.ty),
                    syn::FnArg::Receiver(_) => panic!("receiver in an export"),
                })
                .collect();
            let args = if args.is_empty() { "void".to_string() } else { args.join(", ") };
            let body = f.block.stmts.iter().map(quote_stmt).collect::<String>();
            found.push((f.sig.ident.to_string(), format!("{ret} (*)({args})"), body));
        }
    }
    found
}

/// A statement's tokens as text.
fn quote_stmt(st: &syn::Stmt) -> String {
    use quote::ToTokens;
    st.to_token_stream().to_string()
}

/// The C spelling of a Rust type of an export signature: the Windows names are the same on
/// both sides (`types.rs` aliases them), pointers and constness are spelled out.
fn c_type(t: &syn::Type) -> String {
    match t {
        syn::Type::Ptr(p) => {
            let inner = c_type(&p.elem);
            if p.const_token.is_some() {
                format!("const {inner} *")
            } else {
                format!("{inner} *")
            }
        }
        syn::Type::Path(p) => {
            let last = p.path.segments.last().expect("type name").ident.to_string();
            match last.as_str() {
                "c_void" => "void".to_string(),
                _ => last,
            }
        }
        syn::Type::Tuple(t) if t.elems.is_empty() => "void".to_string(),
        _ => panic!("a type other than a name, a pointer or () in an export signature"),
    }
}

#[test]
fn header_declares_exactly_the_exported_symbols() {
    let protos = header_prototypes();
    let declared: Vec<String> = protos.iter().map(|(n, _)| marshal_capi::symbol_name(n)).collect();
    let unique: BTreeSet<&String> = declared.iter().collect();
    assert_eq!(unique.len(), declared.len(), "a prototype is declared twice");
    let exported = exported_names(&cdylib());
    let declared: Vec<String> = unique.into_iter().cloned().collect();
    let missing: Vec<_> = exported.iter().filter(|n| !declared.contains(n)).collect();
    let extra: Vec<_> = declared.iter().filter(|n| !exported.contains(n)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "exported but not declared: {missing:?}; declared but not exported: {extra:?}"
    );
    assert!(declared.len() >= 70, "{} exports", declared.len());
}

#[test]
fn header_prototypes_have_the_types_of_the_rust_functions() {
    let rust = rust_exports();
    let header: BTreeSet<String> = header_prototypes().into_iter().map(|(n, _)| n).collect();
    let rust_names: BTreeSet<String> = rust.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(rust_names, header, "the Rust exports and the header's prototypes name different functions");

    let mut c = String::from("#include \"oleaut.h\"\n#define SAME(f, T) _Static_assert(__builtin_types_compatible_p(__typeof__(&f), T), #f \" has type \" #T)\n");
    for (name, ty) in &rust {
        writeln!(c, "SAME({name}, {ty});").unwrap();
    }
    let dir = scratch("header");
    let file = dir.join("prototypes.c");
    std::fs::write(&file, c).unwrap();
    let mut cmd = Command::new("gcc");
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I"]).arg(include_dir()).arg(&file);
    cmd.args(prefix_define());
    run(&mut cmd);
}

#[test]
fn every_prototype_has_its_prefixed_name() {
    let text = std::fs::read_to_string(include_dir().join("oleaut.h")).unwrap();
    for (name, _) in header_prototypes() {
        let mapping = format!("#define {name} marshal_{name}\n");
        assert!(text.contains(&mapping), "no `{}` in oleaut.h", mapping.trim());
    }
}

#[test]
fn header_compiles_as_c_and_cpp() {
    let dir = scratch("header");
    let file = dir.join("only_header.c");
    std::fs::write(
        &file,
        "#include \"oleaut.h\"\nint main(void) { VARIANT v; VariantInit(&v); return (int)V_VT(&v); }\n",
    )
    .unwrap();
    for std in ["-std=c11", "-std=gnu99"] {
        let mut cmd = Command::new("gcc");
        cmd.args([std, "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I"]).arg(include_dir()).arg(&file);
        run(&mut cmd);
    }
    if have("g++") {
        let mut cmd = Command::new("g++");
        cmd.args(["-std=c++11", "-x", "c++", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I"])
            .arg(include_dir())
            .arg(&file);
        run(&mut cmd);
    } else {
        eprintln!("g++ not installed: the C++ check of oleaut.h is skipped");
    }
}

#[test]
fn every_export_catches_unwinding() {
    // The helpers that wrap a body in `guard` (convert.rs), and what each export may call.
    let src = std::fs::read_to_string(crate_dir().join("src/convert.rs")).unwrap();
    let helpers = ["bstr_from", "from_str", "to_out"];
    for h in helpers {
        let start = src.find(&format!("fn {h}")).unwrap_or_else(|| panic!("helper {h} not found"));
        let end = src[start..].find("\n}\n").map(|e| start + e).unwrap();
        assert!(src[start..end].contains("guard("), "{h} does not guard its body");
    }
    let exports = export_fns();
    let names: Vec<&str> = exports.iter().map(|(n, _, _)| n.as_str()).collect();
    for (name, _, body) in &exports {
        let guarded = body.contains("guard (")
            || helpers.iter().any(|h| body.contains(&format!("{h} (")))
            || names.iter().any(|n| n != name && body.contains(&format!("{n} (")));
        assert!(guarded, "{name}: its body neither calls guard nor a guarded function");
    }
}
