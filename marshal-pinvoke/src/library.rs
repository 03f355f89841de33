//! Loading native libraries with the CLR's probing rules, and finding entry
//! points with `EntryPoint`, `ExactSpelling` and the CharSet suffix rules.
//!
//! Probing (CoreCLR's name variations, adapted to the platform): for a bare
//! name on Unix, `libNAME.so`, `NAME.so`, `libNAME`, `NAME`, then the highest
//! versioned soname `libNAME.so.N…` found in the library directories (so that
//! `z` finds `libz.so.1` without the `-dev` symlink); a name that already ends
//! in `.so` (or has a version) is tried as given, then with `lib` in front; a
//! path is tried as given. On Windows: `NAME.dll`, then `NAME`.

use core::ffi::c_void;
use std::path::{Path, PathBuf};

use marshal_core::{CharSet, Target};

use crate::error::PinvokeError;

/// A loaded native library. Unloaded when dropped (the code pointers taken
/// from it must not outlive it: [`crate::Function`] keeps its library alive).
#[derive(Debug)]
pub struct Library {
    inner: libloading::Library,
    name: String,
    loaded_as: String,
}

impl Library {
    /// Loads `name` with the probing rules above; the error lists every file
    /// name tried and why each failed.
    ///
    /// ```
    /// use marshal_pinvoke::Library;
    /// let libm = Library::load("m").unwrap();
    /// assert!(libm.loaded_as().contains("libm.so"));
    /// let err = Library::load("surely_not_a_library").unwrap_err().to_string();
    /// assert!(err.contains("libsurely_not_a_library.so"), "{err}");
    /// ```
    pub fn load(name: &str) -> Result<Library, PinvokeError> {
        let mut tried = Vec::new();
        for cand in candidates(name) {
            // SAFETY: loading a library runs its initialisers; loading a named
            // system library is the point of this API and the caller chose it.
            match unsafe { libloading::Library::new(&cand) } {
                Ok(inner) => return Ok(Library { inner, name: name.to_string(), loaded_as: cand }),
                Err(e) => tried.push((cand, e.to_string())),
            }
        }
        Err(PinvokeError::LibraryNotFound { name: name.to_string(), tried })
    }

    /// The running program and the libraries it already has loaded (libc
    /// included), like `dlopen(NULL)`.
    #[cfg(unix)]
    pub fn this_process() -> Library {
        let inner: libloading::Library = libloading::os::unix::Library::this().into();
        Library { inner, name: "<process>".into(), loaded_as: "<process>".into() }
    }

    /// The name this library was asked for.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The candidate file name that loaded.
    pub fn loaded_as(&self) -> &str {
        &self.loaded_as
    }

    /// The address of exactly `symbol`, or `None`.
    pub fn address(&self, symbol: &str) -> Option<*mut c_void> {
        if symbol.contains('\0') {
            return None;
        }
        // SAFETY: the symbol is read as an untyped address only, never called here.
        let sym = unsafe { self.inner.get::<*mut c_void>(symbol) }.ok()?;
        // The symbol's value read as a pointer is its address.
        let p: *mut c_void = *sym;
        (!p.is_null()).then_some(p)
    }

    /// Finds an entry point the way the CLR binds a `[DllImport]`: with
    /// `exact_spelling` only `entry` itself; otherwise, for an ANSI CharSet,
    /// `entry` then `entryA`, and for Unicode, `entryW` then `entry`
    /// (CharSet.Auto is ANSI on Unix). Returns the spelling found and its address.
    ///
    /// ```
    /// use marshal_pinvoke::{Library, core::CharSet};
    /// let libc = Library::this_process();
    /// let (name, _) = libc.find_entry("strlen", CharSet::Ansi, false).unwrap();
    /// assert_eq!(name, "strlen");
    /// let err = libc.find_entry("no_such_fn", CharSet::Unicode, false).unwrap_err();
    /// assert!(err.to_string().contains("no_such_fnW, no_such_fn"), "{err}");
    /// ```
    pub fn find_entry(
        &self,
        entry: &str,
        charset: CharSet,
        exact_spelling: bool,
    ) -> Result<(String, *mut c_void), PinvokeError> {
        let spellings: Vec<String> = if exact_spelling {
            vec![entry.to_string()]
        } else if charset.is_unicode_on(Target::host()) {
            vec![format!("{entry}W"), entry.to_string()]
        } else {
            vec![entry.to_string(), format!("{entry}A")]
        };
        for s in &spellings {
            if let Some(p) = self.address(s) {
                return Ok((s.clone(), p));
            }
        }
        Err(PinvokeError::SymbolNotFound { library: self.name.clone(), tried: spellings })
    }
}

/// The file names [`Library::load`] tries for `name`, in order.
///
/// ```
/// let c = marshal_pinvoke::library::candidates("z");
/// assert_eq!(&c[..4], ["libz.so", "z.so", "libz", "z"]);
/// ```
pub fn candidates(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if cfg!(windows) {
        let lower = name.to_ascii_lowercase();
        if !(lower.ends_with(".dll") || lower.ends_with(".exe")) {
            out.push(format!("{name}.dll"));
        }
        out.push(name.to_string());
        return out;
    }
    let suffix = if cfg!(target_os = "macos") { ".dylib" } else { ".so" };
    let is_path = name.contains('/');
    let has_suffix = name.ends_with(suffix) || name.contains(&format!("{suffix}."));
    if is_path {
        out.push(name.to_string());
        if !has_suffix {
            out.push(format!("{name}{suffix}"));
        }
        return out;
    }
    if has_suffix {
        out.push(name.to_string());
        if !name.starts_with("lib") {
            out.push(format!("lib{name}"));
        }
    } else {
        out.push(format!("lib{name}{suffix}"));
        out.push(format!("{name}{suffix}"));
        out.push(format!("lib{name}"));
        out.push(name.to_string());
        if let Some(versioned) = newest_versioned(name, suffix) {
            out.push(versioned);
        }
    }
    out
}

/// The library directories searched for versioned sonames.
fn library_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("LD_LIBRARY_PATH").map(|v| std::env::split_paths(&v).collect()).unwrap_or_default();
    let multiarch = format!("{}-linux-gnu", std::env::consts::ARCH);
    for d in ["/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib"] {
        dirs.push(Path::new(d).join(&multiarch));
        dirs.push(PathBuf::from(d));
    }
    dirs
}

/// The highest `libNAME.so.<version>` in the library directories.
fn newest_versioned(name: &str, suffix: &str) -> Option<String> {
    let prefix = format!("lib{name}{suffix}.");
    let mut best: Option<(Vec<u64>, String)> = None;
    for dir in library_dirs() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let file = e.file_name();
            let Some(file) = file.to_str() else { continue };
            let Some(ver) = file.strip_prefix(&prefix) else { continue };
            let Ok(parts) = ver.split('.').map(str::parse::<u64>).collect::<Result<Vec<u64>, _>>() else { continue };
            if best.as_ref().is_none_or(|(b, _)| parts > *b) {
                best = Some((parts, dir.join(file).to_string_lossy().into_owned()));
            }
        }
    }
    best.map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_suffix_or_path_are_tried_as_given_first() {
        assert_eq!(candidates("libz.so.1"), ["libz.so.1"]);
        assert_eq!(candidates("foo.so"), ["foo.so", "libfoo.so"]);
        assert_eq!(candidates("/opt/x/libq.so"), ["/opt/x/libq.so"]);
        assert_eq!(candidates("./libq"), ["./libq", "./libq.so"]);
    }

    #[test]
    fn a_missing_library_lists_every_candidate_with_its_reason() {
        let e = Library::load("marshal_no_such_lib").unwrap_err();
        let PinvokeError::LibraryNotFound { tried, .. } = &e else { panic!("{e:?}") };
        assert_eq!(tried.len(), 4);
        assert!(tried.iter().all(|(_, why)| !why.is_empty()));
    }
}
