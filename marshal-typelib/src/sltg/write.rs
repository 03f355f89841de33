//! SLTG writer: a [`TypeLib`] model → an SLTG image that `LoadTypeLib` loads (and this crate's reader reads) as
//! the same library, within what SLTG can hold (see the module documentation). What loaders ignore in SLTG is not
//! written (custom data, documentation strings and help contexts of types' members, default values, DLL entries);
//! what would change the library's meaning (unions, constants of other types, more than 31 parameters, names or
//! offsets beyond 64 KiB, non-virtual functions) is a [`TypeLibError::Unsupported`] naming the member.

use std::collections::HashMap;

use marshal_core::VarType;

use super::*;
use crate::bytes::encode_ansi;
use crate::error::{Result, TypeLibError};
use crate::model::*;
use crate::resolve::Resolver;
use crate::value::Value;

fn unsupported(what: String) -> TypeLibError {
    TypeLibError::Unsupported(format!("SLTG cannot hold {what}"))
}
fn u16_of(v: usize, what: &str) -> Result<u16> {
    u16::try_from(v).map_err(|_| unsupported(format!("{what} beyond 64 KiB")))
}
fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn set16(v: &mut [u8], at: usize, x: u16) {
    v[at..at + 2].copy_from_slice(&x.to_le_bytes());
}

/// Serialises `lib` as an SLTG image. External references by GUID (MSFT's form) are turned into the by-index form
/// SLTG uses by looking the imported library up through `resolver`.
pub fn write(lib: &TypeLib, resolver: &dyn Resolver) -> Result<Vec<u8>> {
    let mut lib = lib.clone();
    prepare(&mut lib, resolver)?;
    let mut names = Names::default();
    let lib_name = names.plain(&lib.name)?;
    let type_count = lib.types.len();
    if type_count + 2 > 0xFFFF {
        return Err(unsupported("more than 65533 types".into()));
    }
    let mut import_offsets = Vec::new();
    for imp in &lib.imports {
        if imp.name.chars().any(char::is_whitespace) {
            return Err(unsupported(format!("an imported file name with spaces ({})", imp.name)));
        }
        let text = format!("*\\G{}#{}.{}#{:x}#{}#", imp.guid, imp.major, imp.minor, imp.lcid, imp.name);
        import_offsets.push(names.plain(&text)?);
    }
    let mut blocks = Vec::with_capacity(type_count);
    for ti in &lib.types {
        blocks.push(type_block(ti, &mut names, &import_offsets).map_err(|e| match e {
            TypeLibError::Unsupported(m) => TypeLibError::Unsupported(format!("{}: {m}", ti.name)),
            other => other,
        })?);
    }
    let type_names: Vec<u16> = lib.types.iter().map(|t| names.plain(&t.name)).collect::<Result<_>>()?;

    // The library block.
    let mut l = Vec::new();
    put16(&mut l, LIBBLK_MAGIC);
    put16(&mut l, 3);
    put16(&mut l, lib_name);
    put16(&mut l, 0xFFFF);
    sltg_string(&mut l, lib.doc.as_deref())?;
    sltg_string(&mut l, lib.help_file.as_deref())?;
    put32(&mut l, lib.help_context);
    put16(&mut l, lib.attr.syskind.raw() as u16);
    put16(&mut l, lib.attr.lcid as u16);
    put32(&mut l, 0);
    put16(&mut l, lib.attr.flags & !LIBFLAG_FHASDISKIMAGE);
    put16(&mut l, lib.attr.major);
    put16(&mut l, lib.attr.minor);
    l.extend_from_slice(&lib.attr.guid.to_bytes());
    l.extend_from_slice(&[0xFF; 0x40]);
    for (i, ti) in lib.types.iter().enumerate() {
        put16(&mut l, i as u16);
        let index = index_string(i);
        put16(&mut l, index.len() as u16);
        l.extend_from_slice(&index);
        put16(&mut l, 0xFFFF); // other name
        put16(&mut l, 0xFFFF);
        put16(&mut l, type_names[i]);
        put16(&mut l, 0); // no extra bytes
        put16(&mut l, 0xFFFF);
        put32(&mut l, ti.help_context);
        put16(&mut l, 0xFFFF);
        l.extend_from_slice(&ti.guid.to_bytes());
    }
    put16(&mut l, 3);
    let table_ptr = l.len() + 4;
    put32(&mut l, table_ptr as u32);
    l.extend_from_slice(&[0xFF; NAME_TABLE_SKIP]);
    l.extend_from_slice(&names.bytes);

    // Header, block entries, directory magic, index strings, padding, blocks (types in order, library last).
    let mut out = Vec::new();
    put32(&mut out, MAGIC);
    put16(&mut out, (type_count + 2) as u16);
    put16(&mut out, 9);
    put16(&mut out, 0);
    put16(&mut out, 1);
    for v in [0x0002_04FFu32, 0, 0xC0, 0x4600_0000, 0x44, 0xFFFF_0000] {
        put32(&mut out, v);
    }
    for (i, b) in blocks.iter().enumerate() {
        put32(&mut out, b.len() as u32);
        put16(&mut out, u16_of(COMPOBJ_MAGIC.len() + i * INDEX_SIZE, "index strings")?);
        put16(&mut out, (i + 2) as u16);
    }
    put32(&mut out, l.len() as u32);
    put16(&mut out, 0);
    put16(&mut out, 0);
    out.extend_from_slice(COMPOBJ_MAGIC);
    for i in 0..type_count {
        out.extend_from_slice(&index_string(i));
        out.push(0);
    }
    out.extend_from_slice(&[0; 9]);
    for b in &blocks {
        out.extend_from_slice(b);
    }
    out.extend_from_slice(&l);
    Ok(out)
}

/// Ten letters, unique per type (the format's "index strings").
fn index_string(i: usize) -> Vec<u8> {
    let mut s = vec![b'A'; 10];
    let mut n = i;
    for c in s.iter_mut() {
        *c = b'A' + (n % 26) as u8;
        n /= 26;
    }
    s
}

fn sltg_string(out: &mut Vec<u8>, s: Option<&str>) -> Result<()> {
    match s {
        None => put16(out, 0xFFFF),
        Some(s) => {
            let b = encode_ansi(s);
            put16(out, u16_of(b.len(), "a string")?.min(0xFFFE));
            out.extend_from_slice(&b);
        }
    }
    Ok(())
}

/// Brings the model into the form SLTG stores: imported types by index.
fn prepare(lib: &mut TypeLib, resolver: &dyn Resolver) -> Result<()> {
    let imports = lib.imports.clone();
    let fix = |r: &mut TypeRef| -> Result<()> {
        if let TypeRef::External { lib: l, target: ExternalTarget::Guid(g) } = r {
            let import = imports.get(*l as usize).ok_or(TypeLibError::BadIndex {
                what: "imported library",
                index: *l as i64,
                limit: imports.len() as u64,
            })?;
            let other = resolver
                .resolve(import)
                .ok_or_else(|| TypeLibError::Unresolved { what: format!("{} (for its type {g})", import.name) })?;
            let index = other
                .find_guid(g)
                .ok_or_else(|| TypeLibError::Unresolved { what: format!("{g} in {}", import.name) })?;
            *r = TypeRef::External { lib: *l, target: ExternalTarget::Index(index as u32) };
        }
        Ok(())
    };
    fn walk(t: &mut ElemType, fix: &dyn Fn(&mut TypeRef) -> Result<()>) -> Result<()> {
        match t {
            ElemType::Ptr(i) | ElemType::SafeArray(i) => walk(i, fix),
            ElemType::CArray { elem, .. } => walk(elem, fix),
            ElemType::UserDefined(r) => fix(r),
            ElemType::Base(_) => Ok(()),
        }
    }
    for ti in &mut lib.types {
        for it in &mut ti.impl_types {
            fix(&mut it.target)?;
        }
        if let Some(a) = &mut ti.alias {
            walk(a, &fix)?;
        }
        for f in &mut ti.funcs {
            walk(&mut f.ret, &fix)?;
            for p in &mut f.params {
                walk(&mut p.ty, &fix)?;
            }
        }
        for v in &mut ti.vars {
            walk(&mut v.ty, &fix)?;
        }
    }
    if let Some(r) = &mut lib.dispatch_ref {
        fix(r)?;
    }
    Ok(())
}

/// The name table: NUL-terminated names by offset.
#[derive(Default)]
struct Names {
    bytes: Vec<u8>,
    plain: HashMap<String, u16>,
    /// Names preceded by a byte that is neither NUL nor alphanumeric (for parameters whose name does not start
    /// with a letter or digit: the loader tells the two parameter forms apart by the byte before the name).
    marked: HashMap<String, u16>,
}

impl Names {
    fn push(&mut self, name: &str) -> Result<u16> {
        let o = u16_of(self.bytes.len(), "the name table")?;
        self.bytes.extend_from_slice(&encode_ansi(name));
        self.bytes.push(0);
        Ok(o)
    }
    fn plain(&mut self, name: &str) -> Result<u16> {
        if let Some(&o) = self.plain.get(name) {
            return Ok(o);
        }
        let o = self.push(name)?;
        self.plain.insert(name.to_string(), o);
        Ok(o)
    }
    fn marked(&mut self, name: &str) -> Result<u16> {
        if let Some(&o) = self.marked.get(name) {
            return Ok(o);
        }
        self.bytes.push(b'*');
        let o = self.push(name)?;
        self.marked.insert(name.to_string(), o);
        Ok(o)
    }
}

/// Collects the references a type uses, in first-use order.
#[derive(Default)]
struct RefTable {
    refs: Vec<TypeRef>,
}

impl RefTable {
    fn index(&mut self, r: &TypeRef) -> Result<u16> {
        let i = match self.refs.iter().position(|x| x == r) {
            Some(i) => i,
            None => {
                self.refs.push(r.clone());
                self.refs.len() - 1
            }
        };
        u16_of(i, "references")
    }
}

struct Block {
    data: Vec<u8>,
    refs: RefTable,
}

impl Block {
    fn off(&self) -> Result<u16> {
        u16_of(self.data.len(), "member data")
    }

    /// The words of a type description; `flags` (parameter direction bits) go into the first word.
    fn type_words(&mut self, t: &ElemType, flags: u16, depth: u32) -> Result<Vec<u16>> {
        if depth >= crate::MAX_TYPE_DEPTH {
            return Err(TypeLibError::TooDeep { what: "type description", limit: crate::MAX_TYPE_DEPTH });
        }
        Ok(match t {
            ElemType::Base(vt) => {
                if vt.0 > 0x3F {
                    return Err(unsupported(format!("the type {vt:?}")));
                }
                vec![vt.0 | flags]
            }
            ElemType::Ptr(inner) => {
                let mut w = vec![VarType::PTR.0 | flags];
                w.extend(self.type_words(inner, 0, depth + 1)?);
                w
            }
            ElemType::SafeArray(inner) => {
                let mut w = vec![VarType::SAFEARRAY.0 | flags, 0];
                w.extend(self.type_words(inner, 0, depth + 1)?);
                w
            }
            ElemType::UserDefined(r) => {
                let i = self.refs.index(r)?;
                vec![VarType::USERDEFINED.0 | flags, u16_of(i as usize * 4, "references")?]
            }
            ElemType::CArray { elem, bounds } => {
                // A SAFEARRAY descriptor: the 32-bit header (bounds after 16 bytes); a single bound is repeated
                // after 24 bytes, where 64-bit loaders read it.
                let at = self.off()?;
                put16(&mut self.data, u16_of(bounds.len(), "array rank")?);
                put16(&mut self.data, 0);
                put32(&mut self.data, 0);
                put32(&mut self.data, 0);
                put32(&mut self.data, 0);
                for (c, lb) in bounds {
                    put32(&mut self.data, *c);
                    put32(&mut self.data, *lb as u32);
                }
                if bounds.len() == 1 {
                    put32(&mut self.data, bounds[0].0);
                    put32(&mut self.data, bounds[0].1 as u32);
                }
                let mut w = vec![VarType::CARRAY.0 | flags, at];
                w.extend(self.type_words(elem, 0, depth + 1)?);
                w
            }
        })
    }

    /// Writes the words out of line; returns their offset.
    fn type_at(&mut self, t: &ElemType, flags: u16) -> Result<u16> {
        let words = self.type_words(t, flags, 0)?;
        let at = self.off()?;
        for w in words {
            put16(&mut self.data, w);
        }
        Ok(at)
    }

    fn impls(&mut self, impls: &[ImplType]) -> Result<()> {
        let first = self.data.len();
        for (i, it) in impls.iter().enumerate() {
            let r = self.refs.index(&it.target)?;
            let at = first + i * IMPL_SIZE;
            let next = if i + 1 == impls.len() { 0xFFFF } else { u16_of(at + IMPL_SIZE, "member data")? };
            put16(&mut self.data, IMPL_MAGIC);
            put16(&mut self.data, next);
            put16(&mut self.data, 0xFFFF);
            self.data.push(u8::try_from(it.flags).map_err(|_| unsupported(format!("IMPLTYPEFLAGS {:#x}", it.flags)))?);
            self.data.push(0x80);
            put16(&mut self.data, 0x12);
            put16(&mut self.data, r);
            put16(&mut self.data, 0x4000);
            put16(&mut self.data, 0xFFFE);
            put16(&mut self.data, 0xFFFF);
            put16(&mut self.data, 0x1D);
            put16(&mut self.data, (i * 4) as u16);
        }
        Ok(())
    }

    /// Writes the functions; returns the offset of the first record (their type descriptions may precede it).
    fn funcs(&mut self, funcs: &[FuncDesc], names: &mut Names) -> Result<u16> {
        let mut first = None;
        let mut prev_next: Option<usize> = None;
        for f in funcs {
            // Type words first: array descriptors they need go before the record, so that the record and its
            // parameter list stay contiguous.
            let ret_words = self.type_words(&f.ret, 0, 0)?;
            let mut param_words = Vec::with_capacity(f.params.len());
            for p in &f.params {
                let marked =
                    p.name.as_ref().is_some_and(|n| n.bytes().next().is_some_and(|c| !c.is_ascii_alphanumeric()));
                param_words.push(if marked {
                    None
                } else {
                    Some(self.type_words(&p.ty, param_word_flags(p.flags), 0)?)
                });
            }
            let at = self.off()?;
            first.get_or_insert(at);
            if let Some(p) = prev_next {
                set16(&mut self.data, p, at);
            }
            if f.params.len() > 31 {
                return Err(unsupported(format!("{} parameters ({})", f.params.len(), f.name)));
            }
            if f.callconv.0 > 7 {
                return Err(unsupported(format!("calling convention {}", f.callconv.0)));
            }
            let magic = match f.kind {
                FuncKind::PureVirtual | FuncKind::Virtual => FUNC_MAGIC,
                FuncKind::Dispatch => DISPATCH_FUNC_MAGIC,
                FuncKind::Static => STATIC_FUNC_MAGIC,
                FuncKind::NonVirtual => return Err(unsupported(format!("a non-virtual function ({})", f.name))),
            } | FUNC_FLAGS_PRESENT;
            let opt = if f.opt_params < 0 { 0x3F } else { (f.opt_params as u16).min(0x3F) } as u8;
            let record = self.data.len();
            self.data.push(magic);
            self.data.push(((f.invkind.raw() as u8) << 4) | 2);
            put16(&mut self.data, 0xFFFF); // next: patched by the next function
            put16(&mut self.data, names.plain(&f.name)?);
            put32(&mut self.data, f.memid as u32);
            put16(&mut self.data, 0xFFFE);
            put16(&mut self.data, 0xFFFF);
            put16(&mut self.data, 0); // arg_off: patched below
            self.data.push(((f.params.len() as u8) << 3) | f.callconv.0);
            self.data.push(opt << 1);
            put16(&mut self.data, 0); // return type: patched below
            put16(&mut self.data, f.vtable_offset);
            put16(&mut self.data, f.flags);
            prev_next = Some(record + 2);
            // Return type: one word inline, else out of line.
            if ret_words.len() == 1 {
                self.data[record + 17] |= 0x80;
                set16(&mut self.data, record + 18, ret_words[0]);
            } else {
                let at = self.off()?;
                for w in ret_words {
                    put16(&mut self.data, w);
                }
                set16(&mut self.data, record + 18, at);
            }
            // Parameters: a name word, then the type inline (or an offset to it for the marked-name form).
            let args = self.off()?;
            set16(&mut self.data, record + 14, args);
            let mut deferred = Vec::new();
            for (p, words) in f.params.iter().zip(param_words) {
                match (&p.name, words) {
                    (Some(n), None) => {
                        put16(&mut self.data, names.marked(n)?);
                        deferred.push((self.data.len(), p.ty.clone(), param_word_flags(p.flags)));
                        put16(&mut self.data, 0);
                    }
                    (name, words) => {
                        let w = match name {
                            Some(n) => u16_of(names.plain(n)? as usize + 1, "the name table")?,
                            None => 0xFFFF,
                        };
                        put16(&mut self.data, w);
                        for w in words.unwrap_or_default() {
                            put16(&mut self.data, w);
                        }
                    }
                }
            }
            for (slot, ty, flags) in deferred {
                let at = self.type_at(&ty, flags)?;
                set16(&mut self.data, slot, at);
            }
        }
        Ok(first.unwrap_or(0xFFFF))
    }

    /// Writes the variables; returns the offset of the first record.
    fn vars(&mut self, vars: &[VarDesc], names: &mut Names) -> Result<u16> {
        let mut first = None;
        let mut prev_next: Option<usize> = None;
        for v in vars {
            let words = self.type_words(&v.ty, 0, 0)?;
            let at = self.off()?;
            first.get_or_insert(at);
            if let Some(p) = prev_next {
                set16(&mut self.data, p, at);
            }
            let record = self.data.len();
            let mut flags = 0u8;
            let (byte_offs, deferred_value) = match (&v.kind, &v.value) {
                (VarKind::PerInstance, VarValue::Offset(o)) => (u16_of(*o as usize, "a field offset")?, None),
                (VarKind::Dispatch, _) => {
                    flags |= 0x40;
                    (0, None)
                }
                (VarKind::Const, VarValue::Const(c)) => {
                    flags |= 0x10;
                    match (c.as_i64(), c) {
                        (Some(x), _) if (0..=0xFFFF).contains(&x) && !matches!(c, Value::Bstr(_)) => {
                            flags |= 0x08;
                            (x as u16, None)
                        }
                        (Some(x), _)
                            if is_int_vt(v.ty.vt()) && (i32::try_from(x).is_ok() || u32::try_from(x).is_ok()) =>
                        {
                            (0, Some(c.clone()))
                        }
                        (None, Value::Bstr(_))
                            if matches!(v.ty.vt(), VarType::LPSTR | VarType::LPWSTR | VarType::BSTR) =>
                        {
                            (0, Some(c.clone()))
                        }
                        _ => return Err(unsupported(format!("the constant {} = {c:?}", v.name))),
                    }
                }
                _ => return Err(unsupported(format!("the variable {} ({:?})", v.name, v.kind))),
            };
            let inline = words.len() == 1;
            if inline {
                flags |= 0x02;
            }
            if v.flags & 1 != 0 {
                flags |= 0x80;
            }
            self.data.push(VAR_WITH_FLAGS_MAGIC);
            self.data.push(flags);
            put16(&mut self.data, 0xFFFF);
            put16(&mut self.data, names.plain(&v.name)?);
            put16(&mut self.data, byte_offs);
            put16(&mut self.data, if inline { words[0] } else { 0 });
            put32(&mut self.data, v.memid as u32);
            put16(&mut self.data, 0xFFFE);
            put16(&mut self.data, 0xFFFF);
            put16(&mut self.data, v.flags & !1);
            prev_next = Some(record + 2);
            if !inline {
                let at = self.off()?;
                for w in words {
                    put16(&mut self.data, w);
                }
                set16(&mut self.data, record + 8, at);
            }
            if let Some(value) = deferred_value {
                let at = self.off()?;
                match value {
                    Value::Bstr(s) => sltg_string(&mut self.data, s.as_deref())?,
                    other => put32(&mut self.data, other.as_i64().unwrap_or(0) as u32),
                }
                set16(&mut self.data, record + 6, at);
            }
        }
        Ok(first.unwrap_or(0xFFFF))
    }
}

/// The types whose constants an SLTG loader reads as a 32-bit integer stored out of line.
fn is_int_vt(vt: VarType) -> bool {
    matches!(vt, VarType::I2 | VarType::UI2 | VarType::I4 | VarType::UI4 | VarType::INT | VarType::UINT)
}

/// The direction bits of a parameter's first type word.
fn param_word_flags(flags: u16) -> u16 {
    let (i, o) = (flags & paramflags::IN != 0, flags & paramflags::OUT != 0);
    let mut w = match (i, o) {
        (true, true) => 0x8000,
        (false, true) => 0x4000,
        (true, false) => 0,
        (false, false) => 0xC000,
    };
    if flags & paramflags::LCID != 0 {
        w |= 0x2000;
    }
    if flags & paramflags::RETVAL != 0 {
        w |= 0x80;
    }
    w
}

fn type_block(ti: &TypeInfo, names: &mut Names, import_offsets: &[u16]) -> Result<Vec<u8>> {
    if ti.flags >= 0x2000 {
        return Err(unsupported(format!("TYPEFLAGS {:#x}", ti.flags)));
    }
    let mut b = Block { data: Vec::new(), refs: RefTable::default() };
    let (mut funcs_off, mut vars_off, mut impls_off) = (0xFFFFu16, 0xFFFFu16, 0xFFFFu16);
    let (mut alias_vt, mut simple_alias) = (0u16, 0u16);
    let dual = ti.kind == TypeKind::Dispatch && ti.flags & typeflags::DUAL != 0;
    let stored_kind = if dual { TypeKind::Interface } else { ti.kind };
    match stored_kind {
        TypeKind::Enum | TypeKind::Record => {
            if !ti.vars.is_empty() {
                vars_off = b.vars(&ti.vars, names)?;
            }
        }
        TypeKind::Interface | TypeKind::Coclass => {
            if stored_kind == TypeKind::Interface && ti.impl_types.len() > 1 {
                return Err(unsupported("an interface deriving from two interfaces".into()));
            }
            b.impls(&ti.impl_types)?;
            if !ti.funcs.is_empty() {
                funcs_off = b.funcs(&ti.funcs, names)?;
            }
        }
        TypeKind::Dispatch | TypeKind::Module => {
            if !ti.vars.is_empty() {
                vars_off = b.vars(&ti.vars, names)?;
            }
            if !ti.funcs.is_empty() {
                funcs_off = b.funcs(&ti.funcs, names)?;
            }
            if stored_kind == TypeKind::Dispatch && !ti.impl_types.is_empty() {
                impls_off = b.off()?;
                b.impls(&ti.impl_types)?;
            }
        }
        TypeKind::Alias => match &ti.alias {
            Some(ElemType::Base(vt)) => {
                alias_vt = vt.0;
                simple_alias = 1;
            }
            Some(t) => alias_vt = b.type_at(t, 0)?,
            None => return Err(unsupported("an alias without a type".into())),
        },
        TypeKind::Union => return Err(unsupported("a union (SLTG loaders read none)".into())),
    }
    let extra = b.data.len();
    let (data, refs) = (b.data, b.refs.refs);

    let mut out = Vec::new();
    put16(&mut out, TIHEADER_MAGIC);
    put32(&mut out, 0); // href_table: patched
    put32(&mut out, 0xFFFF_FFFF);
    put32(&mut out, 0); // elem_table: patched
    put32(&mut out, 0xFFFF_FFFF);
    put16(&mut out, ti.major);
    put16(&mut out, ti.minor);
    put32(&mut out, 0xFFFE_0000);
    out.push((((ti.flags & 0x1F) as u8) << 3) | 2);
    out.push((ti.flags >> 5) as u8);
    out.push(2);
    out.push(stored_kind.raw() as u8);
    put32(&mut out, 0);
    if refs.is_empty() {
        out[2..6].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    } else {
        let at = out.len() as u32;
        out[2..6].copy_from_slice(&at.to_le_bytes());
        out.push(REF_MAGIC);
        out.push(0);
        out.extend_from_slice(&[0xFF; 0x40]);
        put16(&mut out, 0xFFFF);
        put32(&mut out, (refs.len() * 8) as u32);
        for r in &refs {
            put16(&mut out, 1);
            out.push(2);
            out.push(if matches!(r, TypeRef::Local(_)) { 0x40 } else { 0 });
            put16(&mut out, 0xFFFF);
            put16(&mut out, 0);
        }
        put16(&mut out, 0xFFFF);
        out.push(1);
        put32(&mut out, 0);
        for r in &refs {
            let text = match r {
                TypeRef::Local(i) => format!("*\\Rffff*#{i:x}"),
                TypeRef::External { lib: l, target: ExternalTarget::Index(i) } => {
                    let off = import_offsets.get(*l as usize).ok_or(TypeLibError::BadIndex {
                        what: "imported library",
                        index: *l as i64,
                        limit: import_offsets.len() as u64,
                    })?;
                    format!("*\\R{off:x}*#{i:x}")
                }
                TypeRef::External { target: ExternalTarget::Guid(g), .. } => {
                    return Err(TypeLibError::Unresolved { what: g.to_string() })
                }
            };
            sltg_string(&mut out, Some(&text))?;
        }
        out.push(REF_MAGIC);
    }
    let elem_table = out.len() as u32;
    out[0x0A..0x0E].copy_from_slice(&elem_table.to_le_bytes());
    put16(&mut out, 1);
    put16(&mut out, 0xFFFF);
    out.push(1);
    put32(&mut out, extra as u32);
    out.extend_from_slice(&data);
    // The tail.
    let size = u16_of(ti.size as usize, "a type size")?;
    for v in [
        ti.funcs.len() as u16,
        ti.vars.len() as u16,
        ti.impl_types.len() as u16,
        0,
        funcs_off,
        vars_off,
        impls_off,
        0,
        0,
        0,
        alias_vt,
        0xFFFF,
        0,
        0,
        simple_alias,
        0,
        size,
        ti.align,
        0,
        0,
        ti.vft_size,
        0xFFFF,
        0xFFFF,
        0xFFFF,
        0xFFFF,
        0,
        0,
    ] {
        put16(&mut out, v);
    }
    Ok(out)
}
