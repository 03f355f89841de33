//! SLTG reader. Reports what `LoadTypeLib` reports for an SLTG file; every offset is bounds-checked, every chain
//! (blocks, implemented interfaces) bounded by its count, and where `LoadTypeLib` would read undefined memory (an
//! unknown member magic, a constant of a type SLTG cannot hold) the reader returns an error instead.

use std::collections::HashMap;

use marshal_core::{Guid, VarType};

use super::*;
use crate::bytes::{decode_ansi, Bytes};
use crate::error::{Result, TypeLibError};
use crate::model::*;
use crate::value::Value;
use crate::MAX_TYPE_DEPTH;

struct Ctx<'a> {
    file: Bytes<'a>,
    name_table: usize,
    type_count: u32,
    imports: Vec<ImportLib>,
    /// Name-table offsets of the import strings already turned into `imports`.
    import_offsets: HashMap<u16, u32>,
    dispatch_ref: Option<TypeRef>,
}

/// A bounded view of a type's member data; offsets in SLTG members are relative to its start.
struct Members<'a> {
    data: Bytes<'a>,
    refs: Vec<TypeRef>,
}

pub(crate) fn read(data: &[u8]) -> Result<TypeLib> {
    let file = Bytes::new(data);
    let magic = file.u32(0, "SLTG header")?;
    if magic != MAGIC {
        return Err(TypeLibError::BadMagic { what: "SLTG header", found: magic });
    }
    file.slice(0, HEADER_SIZE, "SLTG header")?;
    let block_count = file.u16(4, "SLTG header")? as usize;
    let first_block = file.u16(0x0A, "SLTG header")? as usize;
    if block_count < 2 {
        return Err(TypeLibError::BadValue { what: "SLTG block count", value: block_count as i64 });
    }
    let type_count = block_count - 2;
    let entries_at = HEADER_SIZE;
    let entry_count = block_count - 1;
    let magic_at = entries_at + entry_count * BLOCK_ENTRY_SIZE;
    if file.slice(magic_at, COMPOBJ_MAGIC.len(), "SLTG directory magic")? != COMPOBJ_MAGIC {
        return Err(TypeLibError::BadMagic { what: "SLTG directory magic", found: 0 });
    }
    let first_block_at = magic_at + COMPOBJ_MAGIC.len() + type_count * INDEX_SIZE + 9;
    let entry = |i: usize| -> Result<(usize, u16, u16)> {
        let at = entries_at + i * BLOCK_ENTRY_SIZE;
        Ok((
            file.u32(at, "SLTG block entry")? as usize,
            file.u16(at + 4, "SLTG block entry")?,
            file.u16(at + 6, "SLTG block entry")?,
        ))
    };
    // Walk the block chain: every block but the last is a type; the last is the library block.
    let mut blocks = Vec::new();
    let mut pos = first_block_at;
    let mut order = first_block.checked_sub(1).ok_or(TypeLibError::BadIndex {
        what: "first SLTG block",
        index: 0,
        limit: entry_count as u64,
    })?;
    loop {
        if order >= entry_count {
            return Err(TypeLibError::BadIndex { what: "SLTG block", index: order as i64, limit: entry_count as u64 });
        }
        if blocks.len() > entry_count {
            return Err(TypeLibError::Cycle { what: "SLTG block chain" });
        }
        let (len, index_string, next) = entry(order)?;
        file.slice(pos, len, "SLTG block")?;
        if next == 0 {
            break;
        }
        blocks.push((pos, index_string));
        pos += len;
        order = next as usize - 1;
    }
    if blocks.len() != type_count {
        return Err(TypeLibError::BadIndex {
            what: "SLTG type blocks",
            index: blocks.len() as i64,
            limit: type_count as u64,
        });
    }
    let lib_at = pos;

    // The library block.
    let l = file.tail(lib_at, "SLTG library block")?;
    if l.u16(0, "SLTG library block")? != LIBBLK_MAGIC {
        return Err(TypeLibError::BadMagic {
            what: "SLTG library block",
            found: l.u16(0, "SLTG library block")? as u32,
        });
    }
    let lib_name_off = l.u16(4, "SLTG library block")?;
    let mut p = 6;
    let skip = l.u16(p, "SLTG library block")?;
    if skip != 0xFFFF {
        p += skip as usize;
    }
    p += 2;
    let (doc, n) = sltg_string(&l, p)?;
    p += n;
    let (help_file, n) = sltg_string(&l, p)?;
    p += n;
    let help_context = l.u32(p, "SLTG library block")?;
    let syskind_raw = l.u16(p + 4, "SLTG library block")? as u32;
    let lcid_raw = l.u16(p + 6, "SLTG library block")? as u32;
    let flags = l.u16(p + 12, "SLTG library block")?;
    let major = l.u16(p + 14, "SLTG library block")?;
    let minor = l.u16(p + 16, "SLTG library block")?;
    let guid = l.guid(p + 18, "SLTG library block")?;
    p += 34 + 0x40;
    // A neutral sub-language keeps the primary language; any other locale loads as 0.
    let lcid = if (lcid_raw >> 10) == 0 { lcid_raw & 0x3FF } else { 0 };
    let syskind =
        SysKind::from_raw(syskind_raw).ok_or(TypeLibError::BadValue { what: "syskind", value: syskind_raw as i64 })?;

    struct Other {
        index_name: Vec<u8>,
        name_off: u16,
        help_context: u32,
        guid: Guid,
    }
    let mut others = Vec::with_capacity(type_count.min(l.len() / 36));
    for _ in 0..type_count {
        let w = l.u16(p + 2, "SLTG type record")?;
        let mut len = 0usize;
        let mut index_name = Vec::new();
        if w != 0xFFFF {
            index_name = l.slice(p + 4, w as usize, "SLTG type record")?.to_vec();
            len += w as usize;
        }
        let w = l.u16(p + 4 + len, "SLTG type record")?;
        if w != 0xFFFF {
            len += w as usize;
        }
        let name_off = l.u16(p + len + 8, "SLTG type record")?;
        let extra = l.u16(p + len + 10, "SLTG type record")?;
        len += extra as usize;
        let help_context = l.u32(p + len + 14, "SLTG type record")?;
        let guid = l.guid(p + len + 20, "SLTG type record")?;
        others.push(Other { index_name, name_off, help_context, guid });
        p += len + 36;
    }
    let name_ptr = l.u32(p + 2, "SLTG name table offset")? as usize;
    let mut name_table = lib_at
        .checked_add(name_ptr)
        .ok_or(TypeLibError::BadOffset { what: "SLTG name table", offset: name_ptr as i64 })?;
    if file.u16(name_table, "SLTG name table")? == 0x0200 {
        name_table += 0x20;
    }
    name_table += NAME_TABLE_SKIP;

    let mut ctx = Ctx {
        file,
        name_table,
        type_count: type_count as u32,
        imports: Vec::new(),
        import_offsets: HashMap::new(),
        dispatch_ref: None,
    };
    let mut lib = TypeLib {
        attr: LibAttr { guid, lcid, syskind, major, minor, flags },
        type_lcid: lcid,
        name: ctx.name(lib_name_off)?,
        doc,
        help_file,
        help_context,
        help_string_context: help_context,
        help_string_dll: None,
        custom: Vec::new(),
        types: Vec::with_capacity(type_count),
        imports: Vec::new(),
        dispatch_ref: None,
    };
    for (i, (at, index_string)) in blocks.iter().enumerate() {
        let other = &others[i];
        // The entry's index string must be the type record's (LoadTypeLib fails otherwise).
        let index_at = magic_at + *index_string as usize;
        let stored = c_string(&file, index_at)?;
        if stored != other.index_name.as_slice() {
            return Err(TypeLibError::BadValue { what: "SLTG index string", value: i as i64 });
        }
        let mut ti = ctx.type_block(*at, syskind)?;
        ti.name = ctx.name(other.name_off)?;
        ti.help_context = other.help_context;
        ti.guid = other.guid;
        lib.types.push(ti);
    }
    lib.imports = ctx.imports;
    lib.dispatch_ref = ctx.dispatch_ref;
    Ok(lib)
}

/// An `SLTG_Name`: u16 byte length (0xFFFF: none) and the bytes. Returns the string and the bytes it took.
fn sltg_string(b: &Bytes<'_>, at: usize) -> Result<(Option<String>, usize)> {
    let len = b.u16(at, "SLTG string")?;
    if len == 0xFFFF {
        return Ok((None, 2));
    }
    Ok((Some(decode_ansi(b.slice(at + 2, len as usize, "SLTG string")?)), 2 + len as usize))
}

/// The NUL-terminated bytes at `at` (bounded by the image).
fn c_string<'a>(b: &Bytes<'a>, at: usize) -> Result<&'a [u8]> {
    let rest = b.slice(at, b.len().saturating_sub(at), "string")?;
    match rest.iter().position(|&c| c == 0) {
        Some(n) => Ok(&rest[..n]),
        None => Err(TypeLibError::Truncated {
            what: "string",
            offset: at as u64,
            needed: rest.len() as u64 + 1,
            available: rest.len() as u64,
        }),
    }
}

impl<'a> Ctx<'a> {
    fn name(&self, off: u16) -> Result<String> {
        Ok(decode_ansi(c_string(&self.file, self.name_table + off as usize)?))
    }

    fn type_block(&mut self, at: usize, syskind: SysKind) -> Result<TypeInfo> {
        let h = self.file.tail(at, "SLTG type header")?;
        h.slice(0, TIHEADER_SIZE, "SLTG type header")?;
        let magic = h.u16(0, "SLTG type header")?;
        if magic != TIHEADER_MAGIC {
            return Err(TypeLibError::BadMagic { what: "SLTG type header", found: magic as u32 });
        }
        let href_table = h.u32(2, "SLTG type header")?;
        let elem_table = h.u32(0x0A, "SLTG type header")? as usize;
        let major = h.u16(0x12, "SLTG type header")?;
        let minor = h.u16(0x14, "SLTG type header")?;
        let flags = ((h.u8(0x1A, "SLTG type header")? as u16) >> 3) | ((h.u8(0x1B, "SLTG type header")? as u16) << 5);
        let stored_kind_raw = h.u8(0x1D, "SLTG type header")? as u32;
        let stored_kind = TypeKind::from_raw(stored_kind_raw)
            .ok_or(TypeLibError::BadValue { what: "TYPEKIND", value: stored_kind_raw as i64 })?;
        let kind = if flags & typeflags::DUAL != 0 { TypeKind::Dispatch } else { stored_kind };

        let refs = if href_table != 0xFFFF_FFFF { self.refs(&h, href_table as usize)? } else { Vec::new() };
        let extra = h.u32(elem_table + 5, "SLTG member header")? as usize;
        let base = elem_table + MEMBER_HEADER_SIZE;
        let m = Members { data: h.sub(base, extra, "SLTG member data")?, refs };
        let t = h.sub(base + extra, TAIL_SIZE, "SLTG type tail")?;
        let tail = |o: usize| t.u16(o, "SLTG type tail");
        let (func_count, var_count) = (tail(0)? as usize, tail(2)? as usize);
        let (funcs_off, vars_off, impls_off) = (tail(8)?, tail(0x0A)?, tail(0x0C)?);
        let mut ti = TypeInfo {
            name: String::new(),
            doc: None,
            help_context: 0,
            help_string_context: 0,
            guid: Guid::NULL,
            kind,
            flags,
            major,
            minor,
            size: tail(0x20)? as u32,
            align: tail(0x22)?,
            vft_size: tail(0x28)?,
            alias: None,
            dll_name: None,
            funcs: Vec::new(),
            vars: Vec::new(),
            impl_types: Vec::new(),
            custom: Vec::new(),
        };
        let impls_at_start = m.data.len() >= 2 && m.data.u16(0, "SLTG member data")? == IMPL_MAGIC;
        match stored_kind {
            TypeKind::Enum | TypeKind::Record => ti.vars = self.vars(&m, vars_off, var_count)?,
            TypeKind::Interface => {
                if impls_at_start {
                    ti.impl_types = self.impls(&m, 0)?;
                }
                if funcs_off != 0xFFFF {
                    ti.funcs = self.funcs(&m, funcs_off, func_count)?;
                }
            }
            TypeKind::Coclass => {
                if impls_at_start {
                    ti.impl_types = self.impls(&m, 0)?;
                }
            }
            TypeKind::Alias => {
                ti.alias = Some(if tail(0x1C)? != 0 {
                    ElemType::Base(VarType(tail(0x14)?))
                } else {
                    self.read_type(&m, tail(0x14)? as usize)?.0
                });
            }
            TypeKind::Dispatch => {
                if vars_off != 0xFFFF {
                    ti.vars = self.vars(&m, vars_off, var_count)?;
                }
                if funcs_off != 0xFFFF {
                    ti.funcs = self.funcs(&m, funcs_off, func_count)?;
                }
                if impls_off != 0xFFFF {
                    ti.impl_types = self.impls(&m, impls_off as usize)?;
                }
                // The loader counts the dispinterface's own functions as its vtable.
                ti.vft_size = (ti.funcs.len() as u32 * syskind.pointer_size()) as u16;
            }
            TypeKind::Module => {
                if vars_off != 0xFFFF {
                    ti.vars = self.vars(&m, vars_off, var_count)?;
                }
                if funcs_off != 0xFFFF {
                    ti.funcs = self.funcs(&m, funcs_off, func_count)?;
                }
            }
            // LoadTypeLib reads nothing of an SLTG union.
            TypeKind::Union => {}
        }
        Ok(ti)
    }

    /// The type's reference table: `*\R<lib>*#<index>` strings, `lib` 0xFFFF for this library, else the name-table
    /// offset of an `*\G{LIBID}#maj.min#lcid#path#` string.
    fn refs(&mut self, h: &Bytes<'a>, at: usize) -> Result<Vec<TypeRef>> {
        let r = h.tail(at, "SLTG reference table")?;
        if r.u8(0, "SLTG reference table")? != REF_MAGIC {
            return Err(TypeLibError::BadMagic { what: "SLTG reference table", found: r.u8(0, "")? as u32 });
        }
        let number = r.u32(0x44, "SLTG reference table")? as usize;
        let count = number >> 3;
        let mut p = 0x4F_usize
            .checked_add(number)
            .ok_or(TypeLibError::BadValue { what: "SLTG reference count", value: number as i64 })?;
        // Each reference takes at least 2 bytes: the count is bounded by the bytes left.
        if count > r.len() / 2 {
            return Err(TypeLibError::BadIndex {
                what: "SLTG reference count",
                index: count as i64,
                limit: (r.len() / 2) as u64,
            });
        }
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let (text, n) = sltg_string(&r, p)?;
            p += n;
            let text = text.unwrap_or_default();
            let (lib_off, type_num) = parse_ref(&text)
                .ok_or(TypeLibError::BadValue { what: "SLTG reference string", value: out.len() as i64 })?;
            let target = if lib_off == 0xFFFF {
                if type_num >= self.type_count {
                    return Err(TypeLibError::BadIndex {
                        what: "SLTG type reference",
                        index: type_num as i64,
                        limit: self.type_count as u64,
                    });
                }
                TypeRef::Local(type_num)
            } else {
                let lib = self.import(lib_off as u16)?;
                let r = TypeRef::External { lib, target: ExternalTarget::Index(type_num) };
                if self.dispatch_ref.is_none() && self.imports[lib as usize].guid == STDOLE_GUID && type_num == 4 {
                    self.dispatch_ref = Some(r.clone());
                }
                r
            };
            out.push(target);
        }
        Ok(out)
    }

    fn import(&mut self, off: u16) -> Result<u32> {
        if let Some(&i) = self.import_offsets.get(&off) {
            return Ok(i);
        }
        let text = decode_ansi(c_string(&self.file, self.name_table + off as usize)?);
        let bad = || TypeLibError::BadValue { what: "SLTG imported library string", value: off as i64 };
        let rest = text.strip_prefix("*\\G{").ok_or_else(bad)?;
        let guid: Guid = rest.get(..36).and_then(|g| format!("{{{g}}}").parse().ok()).ok_or_else(bad)?;
        let mut parts = rest.get(36..).and_then(|s| s.strip_prefix("}#")).ok_or_else(bad)?.splitn(3, '#');
        let version = parts.next().ok_or_else(bad)?;
        let (major, minor) = version.split_once('.').ok_or_else(bad)?;
        let lcid = u32::from_str_radix(parts.next().ok_or_else(bad)?, 16).map_err(|_| bad())?;
        let path = parts.next().ok_or_else(bad)?;
        let path = path.strip_suffix('#').unwrap_or(path);
        let import = ImportLib {
            guid,
            major: major.parse().map_err(|_| bad())?,
            minor: minor.parse().map_err(|_| bad())?,
            lcid,
            name: path.to_string(),
        };
        let index = self.imports.len() as u32;
        self.imports.push(import);
        self.import_offsets.insert(off, index);
        Ok(index)
    }

    fn typeref(&self, m: &Members<'_>, index: usize) -> Result<TypeRef> {
        m.refs.get(index).cloned().ok_or(TypeLibError::BadIndex {
            what: "SLTG reference",
            index: index as i64,
            limit: m.refs.len() as u64,
        })
    }

    /// A type description of words at `at` in the member data. Returns it and the offset after it.
    fn read_type(&self, m: &Members<'_>, mut at: usize) -> Result<(ElemType, usize)> {
        enum Level {
            Ptr,
            SafeArray,
            CArray(Vec<(u32, i32)>),
        }
        let mut levels = Vec::new();
        let base = loop {
            if levels.len() >= MAX_TYPE_DEPTH as usize {
                return Err(TypeLibError::TooDeep { what: "SLTG type description", limit: MAX_TYPE_DEPTH });
            }
            let w = m.data.u16(at, "SLTG type description")?;
            if w & 0x0E00 == 0x0E00 {
                levels.push(Level::Ptr);
            }
            match VarType(w & 0x3F) {
                VarType::PTR => {
                    levels.push(Level::Ptr);
                    at += 2;
                }
                VarType::USERDEFINED => {
                    let r = m.data.u16(at + 2, "SLTG type description")? as usize / 4;
                    at += 4;
                    break ElemType::UserDefined(self.typeref(m, r)?);
                }
                VarType::CARRAY => {
                    let sa = m.data.u16(at + 2, "SLTG type description")? as usize;
                    let dims = m.data.u16(sa, "SLTG array descriptor")? as usize;
                    // The SAFEARRAY header of the 32-bit format: bounds after 16 bytes.
                    let bytes = m.data.slice(sa + 16, dims * 8, "SLTG array bounds")?;
                    let bounds = bytes
                        .chunks_exact(8)
                        .map(|b| {
                            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]), i32::from_le_bytes([b[4], b[5], b[6], b[7]]))
                        })
                        .collect();
                    levels.push(Level::CArray(bounds));
                    at += 4;
                }
                VarType::SAFEARRAY => {
                    levels.push(Level::SafeArray);
                    at += 4;
                }
                vt => {
                    at += 2;
                    break ElemType::Base(vt);
                }
            }
        };
        let ty = levels.into_iter().rev().fold(base, |inner, level| match level {
            Level::Ptr => ElemType::Ptr(Box::new(inner)),
            Level::SafeArray => ElemType::SafeArray(Box::new(inner)),
            Level::CArray(bounds) => ElemType::CArray { elem: Box::new(inner), bounds },
        });
        Ok((ty, at))
    }

    /// Parameter flags from the first word of an element's type.
    fn elem_flags(w: u16) -> u16 {
        let mut flags = if w & 0xC000 == 0xC000 {
            0
        } else if w & 0x8000 != 0 {
            paramflags::IN | paramflags::OUT
        } else if w & 0x4000 != 0 {
            paramflags::OUT
        } else {
            paramflags::IN
        };
        if w & 0x2000 != 0 {
            flags |= paramflags::LCID;
        }
        if w & 0x80 != 0 {
            flags |= paramflags::RETVAL;
        }
        flags
    }

    fn impls(&self, m: &Members<'_>, first: usize) -> Result<Vec<ImplType>> {
        let mut out = Vec::new();
        let mut at = first;
        loop {
            if out.len() > m.data.len() / IMPL_SIZE {
                return Err(TypeLibError::Cycle { what: "SLTG implemented interfaces" });
            }
            let next = m.data.u16(at + 2, "SLTG implemented interface")?;
            let flags = m.data.u8(at + 6, "SLTG implemented interface")? as i32;
            let r = m.data.u16(at + 0x0A, "SLTG implemented interface")? as usize;
            out.push(ImplType { target: self.typeref(m, r)?, flags, custom: Vec::new() });
            if next == 0xFFFF {
                return Ok(out);
            }
            at = next as usize;
        }
    }

    fn funcs(&self, m: &Members<'_>, first: u16, count: usize) -> Result<Vec<FuncDesc>> {
        let mut out: Vec<FuncDesc> = Vec::new();
        let mut at = first as usize;
        for i in 0..count {
            if i > 0 {
                at = m.data.u16(at + 2, "SLTG function")? as usize;
            }
            let d = &m.data;
            let magic = d.u8(at, "SLTG function")?;
            let kind = match magic & !FUNC_FLAGS_PRESENT {
                FUNC_MAGIC => FuncKind::PureVirtual,
                DISPATCH_FUNC_MAGIC => FuncKind::Dispatch,
                STATIC_FUNC_MAGIC => FuncKind::Static,
                other => return Err(TypeLibError::BadMagic { what: "SLTG function", found: other as u32 }),
            };
            let inv = (d.u8(at + 1, "SLTG function")? >> 4) as u32;
            let invkind =
                InvokeKind::from_raw(inv).ok_or(TypeLibError::BadValue { what: "INVOKEKIND", value: inv as i64 })?;
            let name = self.name(d.u16(at + 4, "SLTG function")?)?;
            let memid = d.i32(at + 6, "SLTG function")?;
            let arg_off = d.u16(at + 14, "SLTG function")? as usize;
            let nacc = d.u8(at + 16, "SLTG function")?;
            let retnextopt = d.u8(at + 17, "SLTG function")?;
            let ret_at = if retnextopt & 0x80 != 0 { at + 18 } else { d.u16(at + 18, "SLTG function")? as usize };
            let ret = self.read_type(m, ret_at)?.0;
            let vtblpos = d.u16(at + 20, "SLTG function")?;
            let flags = if magic & FUNC_FLAGS_PRESENT != 0 { d.u16(at + 22, "SLTG function")? } else { 0 };
            let argc = (nacc >> 3) as usize;
            let opt = ((retnextopt & 0x7E) >> 1) as usize;
            let mut params = Vec::with_capacity(argc);
            let mut p = arg_off;
            for j in 0..argc {
                let w = d.u16(p, "SLTG parameter")?;
                let (pname, type_at, next) = match w {
                    0xFFFF => (None, p + 2, None),
                    0xFFFE => (None, d.u16(p + 2, "SLTG parameter")? as usize, Some(p + 4)),
                    _ => {
                        let name_at = self.name_table + w as usize;
                        let before = self.file.u8(name_at - 1, "SLTG parameter name")?;
                        if before != 0 && !before.is_ascii_alphanumeric() {
                            // The name is at `w` and the next word is the offset of the type.
                            (Some(self.name(w)?), d.u16(p + 2, "SLTG parameter")? as usize, Some(p + 4))
                        } else {
                            // `w` points one past the name's first letter; the type follows inline.
                            (Some(self.name(w.saturating_sub(1))?), p + 2, None)
                        }
                    }
                };
                let first_word = d.u16(type_at, "SLTG parameter type")?;
                let (ty, after) = self.read_type(m, type_at)?;
                p = next.unwrap_or(after);
                let mut pflags = Self::elem_flags(first_word);
                if argc - j <= opt {
                    pflags |= paramflags::OPT;
                }
                params.push(ParamDesc {
                    // An unnamed parameter reports the function's name.
                    name: Some(pname.unwrap_or_else(|| name.clone())),
                    ty,
                    flags: pflags,
                    default: None,
                    custom: Vec::new(),
                });
            }
            out.push(FuncDesc {
                memid,
                name,
                kind,
                invkind,
                callconv: CallConv(nacc & 7),
                flags,
                vtable_offset: if kind == FuncKind::Dispatch { 0 } else { vtblpos & !1 },
                ret,
                params,
                opt_params: opt as i16,
                doc: None,
                help_context: 0,
                help_string_context: 0,
                entry: None,
                custom: Vec::new(),
            });
        }
        Ok(out)
    }

    fn vars(&self, m: &Members<'_>, first: u16, count: usize) -> Result<Vec<VarDesc>> {
        let mut out: Vec<VarDesc> = Vec::new();
        let mut at = first as usize;
        for i in 0..count {
            if i > 0 {
                at = m.data.u16(at + 2, "SLTG variable")? as usize;
            }
            let d = &m.data;
            let magic = d.u8(at, "SLTG variable")?;
            if magic != VAR_MAGIC && magic != VAR_WITH_FLAGS_MAGIC {
                return Err(TypeLibError::BadMagic { what: "SLTG variable", found: magic as u32 });
            }
            let flags = d.u8(at + 1, "SLTG variable")?;
            let name_off = d.u16(at + 4, "SLTG variable")?;
            let name = match (name_off, out.last()) {
                (0xFFFE, Some(prev)) => prev.name.clone(),
                (0xFFFE, None) => String::new(),
                (o, _) => self.name(o)?,
            };
            let byte_offs = d.u16(at + 6, "SLTG variable")?;
            let type_at = if flags & 0x02 != 0 { at + 8 } else { d.u16(at + 8, "SLTG variable")? as usize };
            let ty = self.read_type(m, type_at)?.0;
            let memid = d.i32(at + 10, "SLTG variable")?;
            let mut var_flags = if magic == VAR_WITH_FLAGS_MAGIC { d.u16(at + 18, "SLTG variable")? } else { 0 };
            if flags & 0x80 != 0 {
                var_flags |= 1; // VARFLAG_FREADONLY
            }
            let (kind, value) = if flags & 0x40 != 0 {
                (VarKind::Dispatch, VarValue::Offset(0))
            } else if flags & 0x10 != 0 {
                let value = if flags & 0x08 != 0 {
                    Value::Int(byte_offs as i32)
                } else {
                    match ty.vt() {
                        VarType::LPSTR | VarType::LPWSTR | VarType::BSTR => {
                            Value::Bstr(sltg_string(d, byte_offs as usize)?.0)
                        }
                        VarType::I2 | VarType::UI2 | VarType::I4 | VarType::UI4 | VarType::INT | VarType::UINT => {
                            Value::Int(d.i32(byte_offs as usize, "SLTG constant")?)
                        }
                        other => {
                            return Err(TypeLibError::BadValue { what: "SLTG constant type", value: other.0 as i64 })
                        }
                    }
                };
                (VarKind::Const, VarValue::Const(value))
            } else {
                (VarKind::PerInstance, VarValue::Offset(byte_offs as u32))
            };
            out.push(VarDesc {
                memid,
                name,
                kind,
                flags: var_flags,
                ty,
                value,
                doc: None,
                help_context: 0,
                help_string_context: 0,
                custom: Vec::new(),
            });
        }
        Ok(out)
    }
}

/// `*\R<hex>*#<hex>` → (library offset, type number).
fn parse_ref(text: &str) -> Option<(u32, u32)> {
    let rest = text.strip_prefix("*\\R")?;
    let (lib, ty) = rest.split_once("*#")?;
    Some((u32::from_str_radix(lib, 16).ok()?, u32::from_str_radix(ty, 16).ok()?))
}
