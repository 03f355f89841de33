//! MSFT writer: a [`TypeLib`] model → an MSFT image that `LoadTypeLib` (and this crate's reader) load back as the
//! same model.
//!
//! The file is laid out as the reader expects it: header, type info offsets, segment directory, the segments, then
//! one member block per type. The name and GUID hash tables are written empty: loaders that read them (Wine does not)
//! fall back to the tables themselves.

use std::collections::HashMap;

use marshal_core::{Guid, VarType};

use super::{fkccic, seg, HEADER_SIZE, HELPDLL_FLAG, HELPFILE_FLAG, MAGIC, SEGMENTS, TYPEINFO_SIZE};
use crate::bytes::encode_ansi;
use crate::error::{Result, TypeLibError};
use crate::model::*;
use crate::value::Value;

/// Serialises `lib` as an MSFT image.
pub fn write(lib: &TypeLib) -> Result<Vec<u8>> {
    let mut w = Writer::default();
    w.build(lib)?;
    Ok(w.finish(lib))
}

#[derive(Default)]
struct Writer {
    segs: [Vec<u8>; SEGMENTS],
    names: HashMap<(String, i32), i32>,
    strings: HashMap<String, i32>,
    guids: HashMap<(Guid, i32), i32>,
    /// Offsets of the imported-file entries, by index in `lib.imports`.
    import_files: Vec<i32>,
    /// Imported-type entries already written.
    imp_infos: HashMap<(u32, ExternalTarget), i32>,
    /// Member blocks, with the type each belongs to.
    blocks: Vec<(usize, Vec<u8>)>,
    header: Header,
}

#[derive(Default)]
struct Header {
    guid: i32,
    name: i32,
    doc: i32,
    help_file: i32,
    help_dll: i32,
    custom: i32,
    dispatch: i32,
}

fn push_i32(v: &mut Vec<u8>, x: i32) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn push_u16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn pad4(v: &mut Vec<u8>, fill: u8) {
    while v.len() % 4 != 0 {
        v.push(fill);
    }
}
fn too_big(what: &str) -> TypeLibError {
    TypeLibError::Unsupported(format!("{what} too large for an MSFT file"))
}
fn off(v: &[u8]) -> Result<i32> {
    i32::try_from(v.len()).map_err(|_| too_big("segment"))
}

impl Writer {
    fn name(&mut self, text: &str, hreftype: i32) -> Result<i32> {
        if let Some(&o) = self.names.get(&(text.to_string(), hreftype)) {
            return Ok(o);
        }
        let bytes = encode_ansi(text);
        if bytes.len() > 0xFF {
            return Err(too_big("name longer than 255 bytes"));
        }
        let t = &mut self.segs[seg::NAMETAB];
        let o = off(t)?;
        push_i32(t, hreftype);
        push_i32(t, -1);
        push_i32(t, bytes.len() as i32);
        t.extend_from_slice(&bytes);
        pad4(t, 0x57);
        self.names.insert((text.to_string(), hreftype), o);
        Ok(o)
    }

    fn string(&mut self, text: Option<&str>) -> Result<i32> {
        let Some(text) = text else { return Ok(-1) };
        if let Some(&o) = self.strings.get(text) {
            return Ok(o);
        }
        let bytes = encode_ansi(text);
        let len = u16::try_from(bytes.len()).map_err(|_| too_big("string"))?;
        let t = &mut self.segs[seg::STRINGTAB];
        let o = off(t)?;
        push_u16(t, len);
        t.extend_from_slice(&bytes);
        pad4(t, 0x57);
        // Loaders step over entries of fewer than 8 bytes as if they took 8.
        while t.len() - (o as usize) < 8 {
            t.push(0x57);
        }
        self.strings.insert(text.to_string(), o);
        Ok(o)
    }

    fn guid(&mut self, g: &Guid, hreftype: i32) -> Result<i32> {
        if let Some(&o) = self.guids.get(&(*g, hreftype)) {
            return Ok(o);
        }
        let t = &mut self.segs[seg::GUIDTAB];
        let o = off(t)?;
        t.extend_from_slice(&g.to_bytes());
        push_i32(t, hreftype);
        push_i32(t, -1);
        self.guids.insert((*g, hreftype), o);
        Ok(o)
    }

    fn value(&mut self, v: &Value) -> Result<i32> {
        let t = &mut self.segs[seg::CUSTDATA];
        let o = off(t)?;
        push_u16(t, v.vt().0);
        match v {
            Value::Bstr(s) => match s {
                None => push_i32(t, -1),
                Some(s) => {
                    let b = encode_ansi(s);
                    push_i32(t, i32::try_from(b.len()).map_err(|_| too_big("string value"))?);
                    t.extend_from_slice(&b);
                }
            },
            Value::R8(f) | Value::Date(f) => t.extend_from_slice(&f.to_le_bytes()),
            Value::I8(x) | Value::Cy(x) => t.extend_from_slice(&x.to_le_bytes()),
            Value::U8(x) => t.extend_from_slice(&x.to_le_bytes()),
            Value::Decimal(d) => t.extend_from_slice(&d[8..16]),
            Value::R4(f) => t.extend_from_slice(&f.to_le_bytes()),
            Value::Unsupported(_) | Value::Empty | Value::Null => push_i32(t, 0),
            other => push_i32(t, other.as_i64().unwrap_or(0) as i32),
        }
        pad4(t, 0x57);
        Ok(o)
    }

    fn custdata(&mut self, items: &[CustData]) -> Result<i32> {
        let mut first = -1;
        let mut prev_next_at: Option<usize> = None;
        for c in items {
            let g = self.guid(&c.guid, -1)?;
            let v = self.value(&c.value)?;
            let t = &mut self.segs[seg::CDGUIDS];
            let o = off(t)?;
            push_i32(t, g);
            push_i32(t, v);
            push_i32(t, -1);
            match prev_next_at {
                Some(at) => t[at..at + 4].copy_from_slice(&o.to_le_bytes()),
                None => first = o,
            }
            prev_next_at = Some(o as usize + 8);
        }
        Ok(first)
    }

    fn href(&mut self, lib: &TypeLib, r: &TypeRef) -> Result<i32> {
        match r {
            TypeRef::Local(i) => {
                if (*i as usize) >= lib.types.len() {
                    return Err(TypeLibError::BadIndex {
                        what: "type reference",
                        index: *i as i64,
                        limit: lib.types.len() as u64,
                    });
                }
                Ok(*i as i32 * TYPEINFO_SIZE as i32)
            }
            TypeRef::External { lib: l, target } => {
                if let Some(&o) = self.imp_infos.get(&(*l, target.clone())) {
                    return Ok(o | 1);
                }
                let file = *self.import_files.get(*l as usize).ok_or(TypeLibError::BadIndex {
                    what: "imported library",
                    index: *l as i64,
                    limit: self.import_files.len() as u64,
                })?;
                let o = off(&self.segs[seg::IMPINFO])?;
                let (flags, target_value) = match target {
                    ExternalTarget::Guid(g) => (0x1_0000 | 1, self.guid(g, o | 1)?),
                    ExternalTarget::Index(i) => (1, *i as i32),
                };
                let t = &mut self.segs[seg::IMPINFO];
                push_i32(t, flags);
                push_i32(t, file);
                push_i32(t, target_value);
                self.imp_infos.insert((*l, target.clone()), o);
                Ok(o | 1)
            }
        }
    }

    /// Encodes a type description: base types inline (negative), the rest as type description table entries.
    fn tdesc(&mut self, lib: &TypeLib, t: &ElemType, depth: u32) -> Result<i32> {
        if depth >= crate::MAX_TYPE_DEPTH {
            return Err(TypeLibError::TooDeep { what: "type description", limit: crate::MAX_TYPE_DEPTH });
        }
        let (vt, arg) = match t {
            ElemType::Base(vt) => {
                let v = vt.0 as u32 & 0x0FFF;
                return Ok((0x8000_0000 | (v << 16) | v) as i32);
            }
            ElemType::Ptr(inner) => (VarType::PTR, self.tdesc(lib, inner, depth + 1)?),
            ElemType::SafeArray(inner) => (VarType::SAFEARRAY, self.tdesc(lib, inner, depth + 1)?),
            ElemType::UserDefined(r) => (VarType::USERDEFINED, self.href(lib, r)?),
            ElemType::CArray { elem, bounds } => {
                let e = self.tdesc(lib, elem, depth + 1)?;
                let dims = u16::try_from(bounds.len()).map_err(|_| too_big("array rank"))?;
                let a = &mut self.segs[seg::ARRAYDESC];
                let o = off(a)?;
                push_i32(a, e);
                push_u16(a, dims);
                push_u16(a, 0);
                for (count, lbound) in bounds {
                    push_i32(a, *count as i32);
                    push_i32(a, *lbound);
                }
                (VarType::CARRAY, o)
            }
        };
        let t = &mut self.segs[seg::TYPDESC];
        let o = off(t)?;
        push_u16(t, vt.0);
        push_u16(t, 0x7FFE);
        push_i32(t, arg);
        Ok(o)
    }

    fn build(&mut self, lib: &TypeLib) -> Result<()> {
        if lib.types.len() > 0xFFFF {
            return Err(too_big("type count"));
        }
        self.header.guid = self.guid(&lib.attr.guid, -2)?;
        self.header.name = self.name(&lib.name, -1)?;
        self.header.doc = self.string(lib.doc.as_deref())?;
        self.header.help_file = self.string(lib.help_file.as_deref())?;
        self.header.help_dll = self.string(lib.help_string_dll.as_deref())?;
        self.header.custom = self.custdata(&lib.custom)?;
        for imp in &lib.imports {
            let g = self.guid(&imp.guid, 2)?;
            let name = encode_ansi(&imp.name);
            if name.len() > 0x3FFF {
                return Err(too_big("imported file name"));
            }
            let t = &mut self.segs[seg::IMPFILES];
            let o = off(t)?;
            push_i32(t, g);
            push_i32(t, imp.lcid as i32);
            push_u16(t, imp.major);
            push_u16(t, imp.minor);
            push_u16(t, (name.len() as u16) << 2);
            t.extend_from_slice(&name);
            pad4(t, 0x57);
            self.import_files.push(o);
        }
        self.header.dispatch = match &lib.dispatch_ref {
            Some(r) => self.href(lib, r)?,
            None => -1,
        };
        for (i, ti) in lib.types.iter().enumerate() {
            self.type_info(lib, i, ti)?;
        }
        Ok(())
    }

    fn type_info(&mut self, lib: &TypeLib, index: usize, ti: &TypeInfo) -> Result<()> {
        let href = (index * TYPEINFO_SIZE) as i32;
        let name = self.name(&ti.name, href)?;
        let guid = if ti.guid == Guid::NULL { -1 } else { self.guid(&ti.guid, href)? };
        let doc = self.string(ti.doc.as_deref())?;
        let custom = self.custdata(&ti.custom)?;
        let (datatype1, impl_count) = match ti.kind {
            TypeKind::Alias => {
                let a = ti
                    .alias
                    .as_ref()
                    .ok_or_else(|| TypeLibError::Unsupported(format!("alias {} without type", ti.name)))?;
                (self.tdesc(lib, a, 0)?, 0)
            }
            TypeKind::Module => (self.string(ti.dll_name.as_deref())?, 0),
            TypeKind::Coclass => {
                let mut first = -1;
                let mut prev: Option<usize> = None;
                for it in &ti.impl_types {
                    let target = self.href(lib, &it.target)?;
                    let c = self.custdata(&it.custom)?;
                    let t = &mut self.segs[seg::REFTAB];
                    let o = off(t)?;
                    push_i32(t, target);
                    push_i32(t, it.flags);
                    push_i32(t, c);
                    push_i32(t, -1);
                    match prev {
                        Some(at) => t[at..at + 4].copy_from_slice(&o.to_le_bytes()),
                        None => first = o,
                    }
                    prev = Some(o as usize + 12);
                }
                (first, ti.impl_types.len())
            }
            // A dispinterface always implements IDispatch; it records the interface it wraps, if any.
            TypeKind::Dispatch => match ti.impl_types.first() {
                Some(it) => (self.href(lib, &it.target)?, 1),
                None => (-1, 1),
            },
            _ => match ti.impl_types.first() {
                Some(it) => (self.href(lib, &it.target)?, 1),
                None => (-1, 0),
            },
        };
        let block = self.members(lib, ti, href)?;
        self.blocks.push((index, block));

        let t = &mut self.segs[seg::TYPEINFO];
        push_i32(t, ti.kind.raw() as i32 | ((ti.align as i32 & 0x1F) << 11));
        push_i32(t, 0); // memoffset: patched in finish()
        let n = (ti.funcs.len() + ti.vars.len()) as i32;
        push_i32(t, n * 0x40);
        push_i32(t, if n == 0 { -1 } else { (n - 1) * 0x38 });
        push_i32(t, 3);
        push_i32(t, 0);
        push_i32(t, ti.funcs.len() as i32 | ((ti.vars.len() as i32) << 16));
        for _ in 0..4 {
            push_i32(t, 0);
        }
        push_i32(t, guid);
        push_i32(t, ti.flags as i32);
        push_i32(t, name);
        push_i32(t, ti.major as i32 | ((ti.minor as i32) << 16));
        push_i32(t, doc);
        push_i32(t, ti.help_string_context as i32);
        push_i32(t, ti.help_context as i32);
        push_i32(t, custom);
        push_u16(t, impl_count as u16);
        push_u16(t, ti.vft_size);
        push_i32(t, ti.size as i32);
        push_i32(t, datatype1);
        push_i32(t, 0);
        push_i32(t, 0);
        push_i32(t, -1);
        Ok(())
    }

    /// The member block of a type (see the reader): records, then ids, name offsets and record offsets.
    fn members(&mut self, lib: &TypeLib, ti: &TypeInfo, href: i32) -> Result<Vec<u8>> {
        let n = ti.funcs.len() + ti.vars.len();
        if ti.funcs.len() > 0xFFFF || ti.vars.len() > 0xFFFF {
            return Err(too_big("member count"));
        }
        let mut records = Vec::new();
        let mut ids = Vec::with_capacity(n);
        let mut names = Vec::with_capacity(n);
        let mut offsets = Vec::with_capacity(n);
        for f in &ti.funcs {
            offsets.push(records.len() as i32);
            ids.push(f.memid);
            names.push(self.name(&f.name, href)?);
            let rec = self.func_record(lib, f)?;
            records.extend_from_slice(&rec);
        }
        for v in &ti.vars {
            offsets.push(records.len() as i32);
            ids.push(v.memid);
            names.push(self.name(&v.name, href)?);
            let rec = self.var_record(lib, v)?;
            records.extend_from_slice(&rec);
        }
        let mut block = Vec::with_capacity(4 + records.len() + n * 12);
        push_i32(&mut block, i32::try_from(records.len()).map_err(|_| too_big("member block"))?);
        block.extend_from_slice(&records);
        for x in ids.iter().chain(&names).chain(&offsets) {
            push_i32(&mut block, *x);
        }
        Ok(block)
    }

    fn func_record(&mut self, lib: &TypeLib, f: &FuncDesc) -> Result<Vec<u8>> {
        let argc = f.params.len();
        if argc > 0x7FFF {
            return Err(too_big("parameter count"));
        }
        let has_custom = !f.custom.is_empty() || f.params.iter().any(|p| !p.custom.is_empty());
        let has_defaults = f.params.iter().any(|p| p.default.is_some());
        let mut bits = f.kind.raw() | (f.invkind.raw() << 3) | ((f.callconv.0 as u32 & 0xF) << 8);
        if has_custom {
            bits |= fkccic::CUSTDATA;
        }
        if has_defaults {
            bits |= fkccic::DEFAULTS;
        }
        let entry = match &f.entry {
            Some(DllEntry::Ordinal(o)) => {
                bits |= fkccic::ENTRY_IS_ORDINAL;
                *o as i32
            }
            Some(DllEntry::Name(n)) => self.string(Some(n))?,
            None => -1,
        };
        let mut r = Vec::new();
        push_i32(&mut r, 0); // Info: patched below
        push_i32(&mut r, self.tdesc(lib, &f.ret, 0)?);
        push_i32(&mut r, f.flags as i32);
        push_u16(&mut r, f.vtable_offset);
        push_u16(&mut r, 0);
        push_i32(&mut r, bits as i32);
        push_u16(&mut r, argc as u16);
        push_u16(&mut r, f.opt_params as u16);
        push_i32(&mut r, f.help_context as i32);
        push_i32(&mut r, self.string(f.doc.as_deref())?);
        push_i32(&mut r, entry);
        push_i32(&mut r, -1);
        push_i32(&mut r, -1);
        push_i32(&mut r, f.help_string_context as i32);
        if has_custom {
            push_i32(&mut r, self.custdata(&f.custom)?);
            for p in &f.params {
                push_i32(&mut r, self.custdata(&p.custom)?);
            }
        }
        if has_defaults {
            for p in &f.params {
                let v = match &p.default {
                    Some(v) => self.value(v)?,
                    None => -1,
                };
                push_i32(&mut r, v);
            }
        }
        for p in &f.params {
            push_i32(&mut r, self.tdesc(lib, &p.ty, 0)?);
            push_i32(
                &mut r,
                match &p.name {
                    Some(n) => self.name(n, -1)?,
                    None => -1,
                },
            );
            push_i32(&mut r, p.flags as i32);
        }
        let len = u16::try_from(r.len()).map_err(|_| too_big("function record"))?;
        r[0..4].copy_from_slice(&(len as i32).to_le_bytes());
        Ok(r)
    }

    fn var_record(&mut self, lib: &TypeLib, v: &VarDesc) -> Result<Vec<u8>> {
        let mut r = Vec::new();
        push_i32(&mut r, 0x28);
        push_i32(&mut r, self.tdesc(lib, &v.ty, 0)?);
        push_i32(&mut r, v.flags as i32);
        push_u16(&mut r, v.kind.raw() as u16);
        push_u16(&mut r, 0);
        let stored = match &v.value {
            VarValue::Const(c) => self.value(c)?,
            VarValue::Offset(o) => *o as i32,
        };
        push_i32(&mut r, stored);
        push_i32(&mut r, v.help_context as i32);
        push_i32(&mut r, self.string(v.doc.as_deref())?);
        push_i32(&mut r, -1);
        push_i32(&mut r, self.custdata(&v.custom)?);
        push_i32(&mut r, v.help_string_context as i32);
        Ok(r)
    }

    fn finish(mut self, lib: &TypeLib) -> Vec<u8> {
        // Empty hash tables (-1 = empty bucket) of the sizes loaders expect.
        self.segs[seg::GUIDHASH] = vec![0xFF; 0x80];
        self.segs[seg::NAMEHASH] = vec![0xFF; 0x200];
        let type_count = lib.types.len();
        let helpdll = lib.help_string_dll.is_some();
        let dir_at = HEADER_SIZE + if helpdll { 4 } else { 0 } + type_count * 4;
        let mut pos = dir_at + SEGMENTS * 16;
        let mut seg_offsets = [-1i32; SEGMENTS];
        for (i, s) in self.segs.iter().enumerate() {
            if !s.is_empty() {
                seg_offsets[i] = pos as i32;
                pos += s.len();
            }
        }
        let mut out = Vec::with_capacity(pos + self.blocks.iter().map(|b| b.1.len()).sum::<usize>());
        let mut varflags = lib.attr.syskind.raw() | 0x40;
        if lib.help_file.is_some() {
            varflags |= HELPFILE_FLAG;
        }
        if helpdll {
            varflags |= HELPDLL_FLAG;
        }
        let name_chars: usize = self.names.keys().map(|(n, _)| n.len()).sum();
        for v in [
            MAGIC as i32,
            0x0001_0002,
            self.header.guid,
            lib.attr.lcid as i32,
            lib.type_lcid as i32,
            varflags as i32,
            lib.attr.major as i32 | ((lib.attr.minor as i32) << 16),
            (lib.attr.flags & !LIBFLAG_FHASDISKIMAGE) as i32,
            type_count as i32,
            self.header.doc,
            lib.help_string_context as i32,
            lib.help_context as i32,
            self.names.len() as i32,
            name_chars as i32,
            self.header.name,
            self.header.help_file,
            self.header.custom,
            0x20,
            0x80,
            self.header.dispatch,
            (self.segs[seg::IMPINFO].len() / 12) as i32,
        ] {
            push_i32(&mut out, v);
        }
        if helpdll {
            push_i32(&mut out, self.header.help_dll);
        }
        for i in 0..type_count {
            push_i32(&mut out, (i * TYPEINFO_SIZE) as i32);
        }
        for (i, s) in self.segs.iter().enumerate() {
            push_i32(&mut out, seg_offsets[i]);
            push_i32(&mut out, s.len() as i32);
            push_i32(&mut out, -1);
            push_i32(&mut out, if i < 13 { 0x0F } else { 0x1F });
        }
        // Member blocks follow the segments; patch each type's memoffset.
        let mut block_at = pos;
        for (index, block) in &self.blocks {
            let field = index * TYPEINFO_SIZE + 4;
            self.segs[seg::TYPEINFO][field..field + 4].copy_from_slice(&(block_at as i32).to_le_bytes());
            block_at += block.len();
        }
        for s in &self.segs {
            out.extend_from_slice(s);
        }
        for (_, block) in &self.blocks {
            out.extend_from_slice(block);
        }
        out
    }
}
