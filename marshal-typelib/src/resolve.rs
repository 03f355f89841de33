//! References into other libraries (`importlib("stdole2.tlb")`), resolved through a caller-supplied [`Resolver`].

use std::collections::HashMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use marshal_core::Guid;

use crate::error::{Result, TypeLibError};
use crate::model::{ExternalTarget, ImportLib, TypeInfo, TypeLib, TypeRef};

/// Supplies the libraries a library imports. `ITypeInfo::GetRefTypeInfo` finds them in the registry; here the
/// caller decides (a map of loaded libraries, a search path, a build's output directory).
pub trait Resolver {
    /// The library `import` names, if the resolver has it.
    fn resolve(&self, import: &ImportLib) -> Option<Arc<TypeLib>>;
}

/// A resolver that knows no library: every external reference is [`TypeLibError::Unresolved`].
impl Resolver for () {
    fn resolve(&self, _: &ImportLib) -> Option<Arc<TypeLib>> {
        None
    }
}

/// Libraries already loaded, by LIBID.
#[derive(Clone, Default)]
pub struct LibraryMap {
    libs: HashMap<Guid, Arc<TypeLib>>,
}

impl LibraryMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a library under its LIBID.
    pub fn insert(&mut self, lib: Arc<TypeLib>) {
        self.libs.insert(lib.attr.guid, lib);
    }
}

impl Resolver for LibraryMap {
    fn resolve(&self, import: &ImportLib) -> Option<Arc<TypeLib>> {
        self.libs.get(&import.guid).cloned()
    }
}

/// Loads imported libraries by file name from a list of directories (the file name an MSFT library records, e.g.
/// `stdole2.tlb`), caching each one; the loaded library's LIBID must match the import.
pub struct SearchPath {
    dirs: Vec<PathBuf>,
    cache: Mutex<HashMap<Guid, Arc<TypeLib>>>,
}

impl SearchPath {
    /// Searches `dirs` in order.
    pub fn new(dirs: impl IntoIterator<Item = impl Into<PathBuf>>) -> Self {
        SearchPath { dirs: dirs.into_iter().map(Into::into).collect(), cache: Mutex::new(HashMap::new()) }
    }
}

impl Resolver for SearchPath {
    fn resolve(&self, import: &ImportLib) -> Option<Arc<TypeLib>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lib) = cache.get(&import.guid) {
            return Some(lib.clone());
        }
        // Recorded names may carry a Windows path; only the file name is searched for.
        let file = import.name.rsplit(['\\', '/']).next().unwrap_or(&import.name);
        for dir in &self.dirs {
            let path = dir.join(file);
            if let Ok(lib) = TypeLib::from_file(&path) {
                if lib.attr.guid == import.guid {
                    let lib = Arc::new(lib);
                    cache.insert(import.guid, lib.clone());
                    return Some(lib);
                }
            }
        }
        None
    }
}

/// The library holding a referenced type: the referring library itself or an imported one.
pub enum RefTarget<'a> {
    /// The same library.
    This(&'a TypeLib),
    /// An imported library.
    Other(Arc<TypeLib>),
}

impl Deref for RefTarget<'_> {
    type Target = TypeLib;
    fn deref(&self) -> &TypeLib {
        match self {
            RefTarget::This(l) => l,
            RefTarget::Other(l) => l,
        }
    }
}

impl TypeLib {
    /// Resolves a reference to `(library, type index)`; imported libraries come from `resolver`.
    pub fn resolve_ref<'a>(&'a self, r: &TypeRef, resolver: &dyn Resolver) -> Result<(RefTarget<'a>, u32)> {
        match r {
            TypeRef::Local(i) => {
                if (*i as usize) < self.types.len() {
                    Ok((RefTarget::This(self), *i))
                } else {
                    Err(TypeLibError::BadIndex {
                        what: "type reference",
                        index: *i as i64,
                        limit: self.types.len() as u64,
                    })
                }
            }
            TypeRef::External { lib, target } => {
                let import = self.imports.get(*lib as usize).ok_or(TypeLibError::BadIndex {
                    what: "imported library",
                    index: *lib as i64,
                    limit: self.imports.len() as u64,
                })?;
                let unresolved = || TypeLibError::Unresolved { what: format!("{} {:?}", import.name, target) };
                let other = resolver.resolve(import).ok_or_else(unresolved)?;
                let index = match target {
                    ExternalTarget::Guid(g) => other.find_guid(g).ok_or_else(unresolved)?,
                    ExternalTarget::Index(i) if (*i as usize) < other.types.len() => *i as usize,
                    ExternalTarget::Index(_) => return Err(unresolved()),
                };
                Ok((RefTarget::Other(other), index as u32))
            }
        }
    }

    /// The referenced type info itself (cloned out of an imported library when needed).
    pub fn ref_type_info(&self, r: &TypeRef, resolver: &dyn Resolver) -> Result<(TypeInfo, Option<Arc<TypeLib>>)> {
        let (lib, index) = self.resolve_ref(r, resolver)?;
        let ti = lib.types[index as usize].clone();
        Ok(match lib {
            RefTarget::This(_) => (ti, None),
            RefTarget::Other(l) => (ti, Some(l)),
        })
    }
}
