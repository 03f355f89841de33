//! MSFT reader. Every offset is checked against the segment it must lie in; every count is checked against the
//! bytes that must hold it before anything is allocated for it; chains are bounded by their table's size and type
//! descriptions by [`MAX_TYPE_DEPTH`].

use marshal_core::{Guid, VarType};

use super::{fkccic, seg, HEADER_SIZE, HELPDLL_FLAG, MAGIC, SEGMENTS, TYPEINFO_SIZE};
use crate::bytes::{decode_ansi, offset, Bytes};
use crate::error::{Result, TypeLibError};
use crate::model::*;
use crate::value::Value;
use crate::MAX_TYPE_DEPTH;

struct Reader<'a> {
    file: Bytes<'a>,
    segs: [Option<Bytes<'a>>; SEGMENTS],
    type_count: u32,
    /// Offsets (in the imported-files segment) of the entries of `imports`, in the same order.
    import_offsets: Vec<i32>,
}

/// Reads an MSFT image.
pub(crate) fn read(data: &[u8]) -> Result<TypeLib> {
    let file = Bytes::new(data);
    let magic = file.u32(0, "MSFT header")?;
    if magic != MAGIC {
        return Err(TypeLibError::BadMagic { what: "MSFT header", found: magic });
    }
    file.slice(0, HEADER_SIZE, "MSFT header")?;
    let h = |off: usize| file.i32(off, "MSFT header");
    let varflags = h(0x14)? as u32;
    let type_count = h(0x20)?;
    if type_count < 0 {
        return Err(TypeLibError::BadValue { what: "type info count", value: type_count as i64 });
    }
    // The type info offsets (one per type) and the optional help DLL offset sit between header and directory.
    let helpdll = varflags & HELPDLL_FLAG != 0;
    let dir_offset = (type_count as usize)
        .checked_mul(4)
        .and_then(|n| n.checked_add(HEADER_SIZE + if helpdll { 4 } else { 0 }))
        .ok_or(TypeLibError::BadValue { what: "type info count", value: type_count as i64 })?;
    let dir = file.sub(dir_offset, SEGMENTS * 16, "MSFT segment directory")?;
    let mut segs: [Option<Bytes<'_>>; SEGMENTS] = [None; SEGMENTS];
    for (i, s) in segs.iter_mut().enumerate() {
        let off = dir.i32(i * 16, "segment offset")?;
        let len = dir.i32(i * 16 + 4, "segment length")?;
        if off >= 0 && len > 0 {
            *s = Some(file.sub(off as usize, len as usize, SEGMENT_NAMES[i])?);
        }
    }
    // The reserved word of the first two entries is 0x0F in every MSFT file; a loader uses it to find the directory.
    for i in 0..2 {
        let res = dir.i32(i * 16 + 12, "segment directory")?;
        if res != 0x0F {
            return Err(TypeLibError::BadMagic { what: "MSFT segment directory", found: res as u32 });
        }
    }
    let table_len = segs[seg::TYPEINFO].map_or(0, |s| s.len());
    if (type_count as usize).saturating_mul(TYPEINFO_SIZE) > table_len {
        return Err(TypeLibError::BadIndex {
            what: "type info count",
            index: type_count as i64,
            limit: (table_len / TYPEINFO_SIZE) as u64,
        });
    }
    let mut r = Reader { file, segs, type_count: type_count as u32, import_offsets: Vec::new() };

    let syskind_raw = varflags & 0xF;
    let syskind = SysKind::from_raw(syskind_raw)
        .ok_or(TypeLibError::BadValue { what: "library syskind", value: syskind_raw as i64 })?;
    let version = h(0x18)? as u32;
    let attr = LibAttr {
        guid: r.guid(h(0x08)?)?,
        lcid: h(0x0C)? as u32,
        syskind,
        major: version as u16,
        minor: (version >> 16) as u16,
        flags: h(0x1C)? as u16,
    };
    let imports = r.read_imports()?;
    let mut lib = TypeLib {
        attr,
        type_lcid: h(0x10)? as u32,
        name: r.name(h(0x38)?)?.unwrap_or_default(),
        doc: r.string(h(0x24)?)?,
        help_file: r.string(h(0x3C)?)?,
        help_context: h(0x2C)? as u32,
        help_string_context: h(0x28)? as u32,
        help_string_dll: if helpdll { r.string(file.i32(HEADER_SIZE, "help DLL offset")?)? } else { None },
        custom: r.custdata(h(0x40)?)?,
        types: Vec::new(),
        imports,
        dispatch_ref: None,
    };
    let dispatch = h(0x4C)?;
    if dispatch != -1 {
        lib.dispatch_ref = r.typeref(dispatch as u32).ok();
    }
    for i in 0..r.type_count {
        lib.types.push(r.type_info(i)?);
    }
    Ok(lib)
}

const SEGMENT_NAMES: [&str; SEGMENTS] = [
    "type info table",
    "imported type table",
    "imported file table",
    "reference table",
    "GUID hash table",
    "GUID table",
    "name hash table",
    "name table",
    "string table",
    "type description table",
    "array description table",
    "custom data table",
    "custom data directory",
    "reserved segment 0x0E",
    "reserved segment 0x0F",
];

impl<'a> Reader<'a> {
    fn seg(&self, i: usize) -> Result<Bytes<'a>> {
        self.segs[i].ok_or(TypeLibError::BadOffset { what: SEGMENT_NAMES[i], offset: -1 })
    }

    /// A name (identifier) by its offset in the name table; negative offsets mean none.
    fn name(&self, off: i32) -> Result<Option<String>> {
        if off < 0 {
            return Ok(None);
        }
        let t = self.seg(seg::NAMETAB)?;
        let off = off as usize;
        let len = (t.u32(off + 8, "name entry")? & 0xFF) as usize;
        let bytes = t.slice(off + 12, len, "name")?;
        Ok(Some(decode_ansi(bytes)))
    }

    /// A string (documentation, DLL names) by its offset in the string table; negative offsets mean none.
    fn string(&self, off: i32) -> Result<Option<String>> {
        if off < 0 {
            return Ok(None);
        }
        let t = self.seg(seg::STRINGTAB)?;
        let off = off as usize;
        let len = t.u16(off, "string length")? as usize;
        let bytes = t.slice(off + 2, len, "string")?;
        Ok(Some(decode_ansi(bytes)))
    }

    /// A GUID by its offset in the GUID table; negative offsets mean `GUID_NULL`.
    fn guid(&self, off: i32) -> Result<Guid> {
        if off < 0 {
            return Ok(Guid::NULL);
        }
        self.seg(seg::GUIDTAB)?.guid(off as usize, "GUID entry")
    }

    fn read_imports(&mut self) -> Result<Vec<ImportLib>> {
        let mut out = Vec::new();
        let Some(t) = self.segs[seg::IMPFILES] else { return Ok(out) };
        let mut pos = 0usize;
        // Each entry takes at least 16 bytes, so the loop ends within len / 16 steps.
        while pos < t.len() {
            let guid_off = t.i32(pos, "imported file entry")?;
            let lcid = t.u32(pos + 4, "imported file entry")?;
            let major = t.u16(pos + 8, "imported file entry")?;
            let minor = t.u16(pos + 10, "imported file entry")?;
            let name_len = (t.u16(pos + 12, "imported file entry")? >> 2) as usize;
            let name = decode_ansi(t.slice(pos + 14, name_len, "imported file name")?);
            out.push(ImportLib { guid: self.guid(guid_off)?, major, minor, lcid, name });
            self.import_offsets.push(pos as i32);
            pos = (pos + 14 + name_len + 3) & !3;
        }
        Ok(out)
    }

    /// Resolves an MSFT `HREFTYPE`: a multiple of 0x64 is a type of this library (its offset in the type info
    /// table); otherwise, less its low two bits, it is the offset of an entry of the imported type table.
    fn typeref(&self, href: u32) -> Result<TypeRef> {
        if href & 3 == 0 {
            let index = href / TYPEINFO_SIZE as u32;
            if index >= self.type_count {
                return Err(TypeLibError::BadIndex {
                    what: "type reference",
                    index: index as i64,
                    limit: self.type_count as u64,
                });
            }
            return Ok(TypeRef::Local(index));
        }
        let t = self.seg(seg::IMPINFO)?;
        let off = (href & !3) as usize;
        let flags = t.u32(off, "imported type entry")?;
        let file_off = t.i32(off + 4, "imported type entry")?;
        let target = t.i32(off + 8, "imported type entry")?;
        let lib = self
            .import_offsets
            .iter()
            .position(|&o| o == file_off)
            .ok_or(TypeLibError::BadOffset { what: "imported type's library", offset: file_off as i64 })?
            as u32;
        let target = if flags & 0x1_0000 != 0 {
            ExternalTarget::Guid(self.guid(target)?)
        } else {
            ExternalTarget::Index(u32::try_from(target).map_err(|_| TypeLibError::BadIndex {
                what: "imported type index",
                index: target as i64,
                limit: u32::MAX as u64,
            })?)
        };
        Ok(TypeRef::External { lib, target })
    }

    /// A type description: a negative value holds a base VARTYPE in its low 12 bits; any other value is the
    /// offset of an 8-byte entry of the type description table.
    fn elem(&self, datatype: i32, depth: u32) -> Result<ElemType> {
        if datatype < 0 {
            return Ok(ElemType::Base(VarType((datatype as u32 & 0x0FFF) as u16)));
        }
        if depth >= MAX_TYPE_DEPTH {
            return Err(TypeLibError::TooDeep { what: "type description", limit: MAX_TYPE_DEPTH });
        }
        let t = self.seg(seg::TYPDESC)?;
        let off = datatype as usize & !7;
        let vt = t.u16(off, "type description")?;
        let arg = t.i32(off + 4, "type description")?;
        Ok(match VarType(vt) {
            VarType::PTR => ElemType::Ptr(Box::new(self.elem(arg, depth + 1)?)),
            VarType::SAFEARRAY => ElemType::SafeArray(Box::new(self.elem(arg, depth + 1)?)),
            VarType::USERDEFINED => ElemType::UserDefined(self.typeref(arg as u32)?),
            VarType::CARRAY => {
                let a = self.seg(seg::ARRAYDESC)?;
                let off = offset(arg, "array description")?;
                let elem = a.i32(off, "array description")?;
                let dims = a.u16(off + 4, "array description")? as usize;
                // Bounds are checked to lie in the segment before anything is allocated for them.
                let bounds_bytes = a.slice(off + 8, dims * 8, "array bounds")?;
                let bounds = bounds_bytes
                    .chunks_exact(8)
                    .map(|b| {
                        (u32::from_le_bytes([b[0], b[1], b[2], b[3]]), i32::from_le_bytes([b[4], b[5], b[6], b[7]]))
                    })
                    .collect();
                ElemType::CArray { elem: Box::new(self.elem(elem, depth + 1)?), bounds }
            }
            _ => ElemType::Base(VarType(vt & 0x0FFF)),
        })
    }

    /// A value in the custom data table. Negative offsets hold small values inline: the VARTYPE in bits 26..=30
    /// and the value in bits 0..=25.
    fn value(&self, off: i32) -> Result<Value> {
        if off < 0 {
            let vt = VarType(((off as u32 & 0x7C00_0000) >> 26) as u16);
            return Ok(Value::from_raw_bits(vt, (off as u32 & 0x03FF_FFFF) as u64));
        }
        let t = self.seg(seg::CUSTDATA)?;
        let off = off as usize;
        let vt = VarType(t.u16(off, "value")?);
        Ok(match vt {
            VarType::EMPTY
            | VarType::NULL
            | VarType::I2
            | VarType::I4
            | VarType::R4
            | VarType::ERROR
            | VarType::BOOL
            | VarType::I1
            | VarType::UI1
            | VarType::UI2
            | VarType::UI4
            | VarType::INT
            | VarType::UINT
            | VarType::HRESULT => Value::from_raw_bits(vt, t.u32(off + 2, "value")? as u64),
            VarType::R8 | VarType::CY | VarType::DATE | VarType::I8 | VarType::UI8 => {
                Value::from_raw_bits(vt, t.u64(off + 2, "value")?)
            }
            VarType::DECIMAL => {
                // Stored as 8 bytes: they land in the DECIMAL's low 64 bits.
                let lo = t.slice(off + 2, 8, "value")?;
                let mut d = [0u8; 16];
                d[8..].copy_from_slice(lo);
                Value::Decimal(d)
            }
            VarType::BSTR => {
                let len = t.i32(off + 2, "string value length")?;
                if len == -1 {
                    Value::Bstr(None)
                } else {
                    let len = offset(len, "string value length")?;
                    Value::Bstr(Some(decode_ansi(t.slice(off + 6, len, "string value")?)))
                }
            }
            other => Value::Unsupported(other),
        })
    }

    /// A custom data chain starting at `off` in the custom data directory.
    fn custdata(&self, mut off: i32) -> Result<Vec<CustData>> {
        let mut out = Vec::new();
        let Some(t) = self.segs[seg::CDGUIDS] else { return Ok(out) };
        let limit = t.len() / 12;
        while off >= 0 {
            if out.len() >= limit {
                return Err(TypeLibError::Cycle { what: "custom data chain" });
            }
            let o = off as usize;
            let guid = self.guid(t.i32(o, "custom data entry")?)?;
            let value = self.value(t.i32(o + 4, "custom data entry")?)?;
            off = t.i32(o + 8, "custom data entry")?;
            out.push(CustData { guid, value });
        }
        Ok(out)
    }

    fn type_info(&self, index: u32) -> Result<TypeInfo> {
        let e = self.seg(seg::TYPEINFO)?.sub(index as usize * TYPEINFO_SIZE, TYPEINFO_SIZE, "type info")?;
        let f = |o: usize| e.i32(o, "type info");
        let typekind = f(0x00)? as u32;
        let kind = TypeKind::from_raw(typekind & 0xF)
            .ok_or(TypeLibError::BadValue { what: "TYPEKIND", value: (typekind & 0xF) as i64 })?;
        let elements = f(0x18)? as u32;
        let version = f(0x38)? as u32;
        let datatype1 = f(0x54)?;
        let impl_count = e.i16(0x4C, "type info")?;
        let mut ti = TypeInfo {
            name: self.name(f(0x34)?)?.unwrap_or_default(),
            doc: self.string(f(0x3C)?)?,
            help_context: f(0x44)? as u32,
            help_string_context: f(0x40)? as u32,
            guid: self.guid(f(0x2C)?)?,
            kind,
            flags: f(0x30)? as u16,
            major: version as u16,
            minor: (version >> 16) as u16,
            size: f(0x50)? as u32,
            align: ((typekind >> 11) & 0x1F) as u16,
            vft_size: e.u16(0x4E, "type info")?,
            alias: None,
            dll_name: None,
            funcs: Vec::new(),
            vars: Vec::new(),
            impl_types: Vec::new(),
            custom: self.custdata(f(0x48)?)?,
        };
        match kind {
            TypeKind::Alias => ti.alias = Some(self.elem(datatype1, 0)?),
            TypeKind::Module => ti.dll_name = self.string(datatype1)?,
            _ => {}
        }
        let (func_count, var_count) = ((elements & 0xFFFF) as usize, (elements >> 16) as usize);
        if func_count + var_count > 0 {
            self.members(&mut ti, f(0x04)?, func_count, var_count)?;
        }
        if impl_count > 0 {
            match kind {
                TypeKind::Coclass => {
                    let t = self.seg(seg::REFTAB)?;
                    let mut off = datatype1;
                    for _ in 0..impl_count {
                        if off < 0 {
                            break;
                        }
                        let o = off as usize;
                        let target = self.typeref(t.u32(o, "reference record")?)?;
                        let flags = t.i32(o + 4, "reference record")?;
                        let custom = self.custdata(t.i32(o + 8, "reference record")?)?;
                        off = t.i32(o + 12, "reference record")?;
                        ti.impl_types.push(ImplType { target, flags, custom });
                    }
                }
                // A dispinterface names its interface only when it wraps one (dual, or `dispinterface x { interface y; }`).
                TypeKind::Dispatch if datatype1 == -1 => {}
                _ => ti.impl_types.push(ImplType {
                    target: self.typeref(datatype1 as u32)?,
                    flags: 0,
                    custom: Vec::new(),
                }),
            }
        }
        Ok(ti)
    }

    /// The member block of a type at `base`: `i32 len`, `len` bytes of records (functions first, then variables),
    /// then `n = funcs + vars` member ids, `n` name offsets and `n` record offsets.
    fn members(&self, ti: &mut TypeInfo, base: i32, func_count: usize, var_count: usize) -> Result<()> {
        let base = offset(base, "member block")?;
        let info_len = offset(self.file.i32(base, "member block")?, "member block length")?;
        let n = func_count + var_count;
        let arrays = base
            .checked_add(4)
            .and_then(|v| v.checked_add(info_len))
            .ok_or(TypeLibError::BadOffset { what: "member block", offset: base as i64 })?;
        // The three arrays must be present before a single member is read: this bounds both counts by the file size.
        let tables = self.file.sub(arrays, n * 12, "member tables")?;
        let memid = |i: usize| tables.i32(i * 4, "member id");
        let name_off = |i: usize| tables.i32((n + i) * 4, "member name offset");
        let rec_off = |i: usize| tables.i32((2 * n + i) * 4, "member record offset");
        let records_end = arrays;

        // Both counts are bounded by the member tables just checked (12 bytes per member).
        ti.funcs.reserve_exact(func_count);
        ti.vars.reserve_exact(var_count);
        let mut rec = base + 4;
        for i in 0..func_count {
            let len = (self.file.u32(rec, "function record")? & 0xFFFF) as usize;
            if len < 0x18 || rec + len > records_end {
                return Err(TypeLibError::BadValue { what: "function record length", value: len as i64 });
            }
            let r = self.file.sub(rec, len, "function record")?;
            let func = self.func(ti, &r, len, memid(i)?, name_off(i)?)?;
            ti.funcs.push(func);
            rec += len;
        }
        if var_count > 0 {
            let mut rec = base + 4 + offset(rec_off(func_count)?, "variable record offset")?;
            for i in 0..var_count {
                let len = (self.file.u32(rec, "variable record")? & 0xFF) as usize;
                if len < 0x14 || rec + len > records_end {
                    return Err(TypeLibError::BadValue { what: "variable record length", value: len as i64 });
                }
                let r = self.file.sub(rec, len, "variable record")?;
                let var = self.var(&r, len, memid(func_count + i)?, name_off(func_count + i)?)?;
                ti.vars.push(var);
                rec += len;
            }
        }
        Ok(())
    }

    fn func(&self, ti: &TypeInfo, r: &Bytes<'a>, len: usize, memid: i32, name_off: i32) -> Result<FuncDesc> {
        let data_type = r.i32(0x04, "function record")?;
        let flags = r.u32(0x08, "function record")? as u16;
        let vtable_offset = r.u16(0x0C, "function record")? & !1;
        let bits = r.u32(0x10, "function record")?;
        let argc = r.i16(0x14, "function record")?;
        let opt_params = r.i16(0x16, "function record")?;
        if argc < 0 {
            return Err(TypeLibError::BadValue { what: "parameter count", value: argc as i64 });
        }
        let argc = argc as usize;
        let has_defaults = bits & fkccic::DEFAULTS != 0;
        let tail = argc * 12 + if has_defaults { argc * 4 } else { 0 };
        if tail + 0x18 > len {
            return Err(TypeLibError::BadIndex {
                what: "parameter count",
                index: argc as i64,
                limit: ((len - 0x18) / 12) as u64,
            });
        }
        // Fields after the fixed part are present when the record is long enough to hold them.
        let optional = len - tail;
        let opt = |off: usize| -> Result<Option<i32>> {
            if optional > off {
                r.i32(off, "function record").map(Some)
            } else {
                Ok(None)
            }
        };
        let kind_raw = bits & 7;
        let kind =
            FuncKind::from_raw(kind_raw).ok_or(TypeLibError::BadValue { what: "FUNCKIND", value: kind_raw as i64 })?;
        let inv_raw = (bits >> 3) & 0xF;
        let invkind = InvokeKind::from_raw(inv_raw)
            .ok_or(TypeLibError::BadValue { what: "INVOKEKIND", value: inv_raw as i64 })?;
        let has_custom = bits & fkccic::CUSTDATA != 0;

        let name = if name_off == -1 && invkind.is_property() {
            // The second of a property get/put pair may leave its name to the first.
            match ti.funcs.last() {
                Some(prev) if prev.invkind.is_property() => prev.name.clone(),
                _ => String::new(),
            }
        } else {
            self.name(name_off)?.unwrap_or_default()
        };
        let entry = match opt(0x20)? {
            Some(e) if bits & fkccic::ENTRY_IS_ORDINAL != 0 => Some(DllEntry::Ordinal(e as u16)),
            Some(e) => self.string(e)?.map(DllEntry::Name),
            None => None,
        };
        let mut params = Vec::with_capacity(argc);
        let params_at = len - argc * 12;
        // Only meaningful with `has_defaults`, where `tail` (checked above) covers it.
        let defaults_at = len.saturating_sub(argc * 16);
        for j in 0..argc {
            let p = params_at + j * 12;
            let ty = self.elem(r.i32(p, "parameter")?, 0)?;
            let pname = r.i32(p + 4, "parameter")?;
            let pflags = r.u32(p + 8, "parameter")? as u16;
            let default = if pflags & paramflags::HASDEFAULT != 0 && has_defaults {
                Some(self.value(r.i32(defaults_at + j * 4, "default value offset")?)?)
            } else {
                None
            };
            let custom = match opt(0x34 + j * 4)? {
                Some(c) if has_custom => self.custdata(c)?,
                _ => Vec::new(),
            };
            params.push(ParamDesc {
                name: if pname == -1 { None } else { self.name(pname)? },
                ty,
                flags: pflags,
                default,
                custom,
            });
        }
        Ok(FuncDesc {
            memid,
            name,
            kind,
            invkind,
            callconv: CallConv(((bits >> 8) & 0xF) as u8),
            flags,
            vtable_offset,
            ret: self.elem(data_type, 0)?,
            params,
            opt_params,
            doc: match opt(0x1C)? {
                Some(s) => self.string(s)?,
                None => None,
            },
            help_context: opt(0x18)?.unwrap_or(0) as u32,
            help_string_context: opt(0x2C)?.unwrap_or(0) as u32,
            entry,
            custom: match opt(0x30)? {
                Some(c) if has_custom => self.custdata(c)?,
                _ => Vec::new(),
            },
        })
    }

    fn var(&self, r: &Bytes<'a>, len: usize, memid: i32, name_off: i32) -> Result<VarDesc> {
        let opt = |off: usize| -> Result<Option<i32>> {
            if len > off {
                r.i32(off, "variable record").map(Some)
            } else {
                Ok(None)
            }
        };
        let kind_raw = r.u16(0x0C, "variable record")? as u32;
        let kind =
            VarKind::from_raw(kind_raw).ok_or(TypeLibError::BadValue { what: "VARKIND", value: kind_raw as i64 })?;
        let stored = r.i32(0x10, "variable record")?;
        let value =
            if kind == VarKind::Const { VarValue::Const(self.value(stored)?) } else { VarValue::Offset(stored as u32) };
        Ok(VarDesc {
            memid,
            name: self.name(name_off)?.unwrap_or_default(),
            kind,
            flags: r.u32(0x08, "variable record")? as u16,
            ty: self.elem(r.i32(0x04, "variable record")?, 0)?,
            value,
            doc: match opt(0x18)? {
                Some(s) => self.string(s)?,
                None => None,
            },
            help_context: opt(0x14)?.unwrap_or(0) as u32,
            help_string_context: opt(0x24)?.unwrap_or(0) as u32,
            custom: match opt(0x20)? {
                Some(c) => self.custdata(c)?,
                None => Vec::new(),
            },
        })
    }
}
