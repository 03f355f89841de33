//! SAFEARRAY lines: `kind: "safearray"` of `wine_oleaut.jsonl` and
//! `section: "safearray"` of `mono_safearray.jsonl`.
//!
//! Wine lines are rebuilt from their `ops` (the oleaut32 calls, replayed on the
//! engine's [`marshal_core::safearray::raw`] functions, or the C ABI's, see [`crate::abi`],
//! on a fresh state) and
//! answered by evaluating their `probe` (a descriptor dump, the last call's
//! HRESULT, a GetElement, …) in the recording's encoding. The `case` text is
//! never read.
//!
//! Mono lines are P/Invoke calls passing a SAFEARRAY to `on_safearray` /
//! `on_safearray_ref` of the oracle's native library, which logs what it
//! received. The engine marshals the line's `call.args` with its SAFEARRAY
//! marshaler ([`SafeArrayMarshaler`]) and produces the same log from the native
//! array it would pass (`native`: `psa`, `pre16`, `header` with pointer bytes
//! zeroed, `data`; `ppsa` for `ref`), and for `ref` parameters the managed
//! value read back (`managed_after`). `Marshal.SizeOf` lines use the layout engine.

use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;

use serde_json::{json, Map, Value};

use crate::abi::raw::{self, SAFEARRAY, SAFEARRAYBOUND};

use marshal_core::bstr::Bstr;
use marshal_core::safearray::marshal::{InOutArray, SafeArrayMarshaler};

use marshal_core::safearray::{Bound, SafeArray};
use marshal_core::types::{CharSet, StructBuilder, TypeDesc};
use marshal_core::variant::{Variant, VariantValue, VARIANT};
use marshal_core::{Hresult, Layout, VarType};

use crate::outcome::Outcome;

/// Evaluates one SAFEARRAY line.
pub fn evaluate(line: &Value) -> Outcome {
    if line.get("kind").is_some() {
        wine::evaluate(line)
    } else {
        mono::evaluate(line)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

fn hr_fields(out: &mut Outcome, hr: Hresult) {
    out.set("hr", format!("0x{:08x}", hr.0 as u32));
    if let Some(name) = hr.name() {
        out.set("hr_name", name);
    }
}

/// `nonnull_mod16_N` / `null`, as the oracle prints pointers.
fn ptr_marker(p: *const c_void) -> String {
    if p.is_null() {
        "null".into()
    } else {
        format!("nonnull_mod16_{}", p as usize % 16)
    }
}

/// The descriptor header (`24 + 8 × cDims` bytes on 64-bit), the pvData bytes zeroed.
///
/// # Safety
///
/// `psa` is a valid descriptor with `min(cDims, max_dims)` readable bounds.
unsafe fn header_bytes(psa: *mut SAFEARRAY, max_dims: usize) -> Vec<u8> {
    // SAFETY: per the caller.
    unsafe {
        let dims = ((*psa).cDims as usize).min(max_dims);
        let len = raw::HEADER_SIZE + 8 * dims;
        let mut bytes = std::slice::from_raw_parts(psa as *const u8, len).to_vec();
        let off = std::mem::offset_of!(SAFEARRAY, pvData);
        bytes[off..off + std::mem::size_of::<usize>()].fill(0);
        bytes
    }
}

/// The 16 bytes before a descriptor.
///
/// # Safety
///
/// `psa` was allocated with its hidden area.
unsafe fn pre16(psa: *mut SAFEARRAY) -> Vec<u8> {
    // SAFETY: per the caller.
    unsafe { std::slice::from_raw_parts((psa as *const u8).sub(16), 16).to_vec() }
}

mod wine {
    use super::*;

    /// Why a line cannot be replayed.
    enum Stop {
        Unsupported(String),
    }

    fn unsupported<T>(why: impl Into<String>) -> Result<T, Stop> {
        Err(Stop::Unsupported(why.into()))
    }

    /// The scenario state: the SAFEARRAY* variables.
    struct State {
        handles: HashMap<String, *mut SAFEARRAY>,
        /// Handles holding an array the engine allocated and the scenario has not destroyed.
        live: std::collections::HashSet<String>,
        last: Hresult,
        last_ret: Option<i64>,
    }

    impl State {
        fn handle(&self, v: &Value) -> Result<*mut SAFEARRAY, Stop> {
            match v {
                Value::Null => Ok(ptr::null_mut()),
                Value::String(name) => match self.handles.get(name) {
                    Some(&p) => Ok(p),
                    None => unsupported(format!("safearray: unknown handle {name}")),
                },
                _ => unsupported(format!("safearray: handle argument {v}")),
            }
        }

        /// The variable a `{"ref": "hN"}` argument names; created NULL (or holding its junk `init`).
        fn slot(&mut self, v: &Value) -> Result<&mut *mut SAFEARRAY, Stop> {
            let Some(name) = v.get("ref").and_then(Value::as_str) else {
                return unsupported(format!("safearray: out argument {v}"));
            };
            let init = match v.get("init").and_then(Value::as_str) {
                Some(s) => usize::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or(1) as *mut SAFEARRAY,
                None => ptr::null_mut(),
            };
            Ok(self.handles.entry(name.to_string()).or_insert(init))
        }
    }

    fn num(args: &Value, key: &str) -> Result<i64, Stop> {
        match args.get(key).and_then(Value::as_i64) {
            Some(n) => Ok(n),
            None => unsupported(format!("safearray: missing numeric argument {key}")),
        }
    }

    fn bound(v: &Value) -> Result<SAFEARRAYBOUND, Stop> {
        let c = v.get("cElements").and_then(Value::as_u64);
        let l = v.get("lLbound").and_then(Value::as_i64);
        match (c, l) {
            (Some(c), Some(l)) => Ok(SAFEARRAYBOUND { cElements: c as u32, lLbound: l as i32 }),
            _ => unsupported(format!("safearray: bound {v}")),
        }
    }

    /// A typed value for `pv`, as bytes of the element (or a temporary BSTR / VARIANT).
    enum Pv {
        Bytes(Vec<u8>),
        /// A temporary BSTR, passed as `pv` itself (freed after the call).
        Bstr(Bstr),
        /// A VariantInit'ed temporary (VariantClear'ed after the call).
        Variant(Variant),
    }

    fn bstr_of(v: &Value) -> Result<Bstr, Stop> {
        match v {
            Value::Null => Ok(Bstr::null()),
            Value::String(h) => match crate::oracle_value::u16_units(h) {
                Some(units) => Bstr::from_wide(&units).map_or_else(|e| unsupported(format!("bstr: {e}")), Ok),
                None => unsupported("safearray: bad bstr units"),
            },
            _ => unsupported(format!("safearray: bstr value {v}")),
        }
    }

    fn scalar_bytes(v: &Map<String, Value>) -> Result<Vec<u8>, Stop> {
        let int = |k: &str| v.get(k).and_then(Value::as_i64);
        let uint = |k: &str| v.get(k).and_then(Value::as_u64);
        if let Some(bits) = v.get("bits").and_then(Value::as_str) {
            return match unhex(bits) {
                Some(b) => Ok(b),
                None => unsupported("safearray: bad float bits"),
            };
        }
        if let Some(d) = v.get("decimal_hex").and_then(Value::as_str) {
            return unhex(d).map_or_else(|| unsupported("safearray: bad decimal_hex"), Ok);
        }
        if let Some(s) = v.get("scode").and_then(Value::as_str) {
            let n = u32::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or(0);
            return Ok(n.to_le_bytes().to_vec());
        }
        Ok(match () {
            _ if int("i1").is_some() => vec![int("i1").unwrap_or(0) as i8 as u8],
            _ if uint("ui1").is_some() => vec![uint("ui1").unwrap_or(0) as u8],
            _ if int("i2").is_some() => (int("i2").unwrap_or(0) as i16).to_le_bytes().to_vec(),
            _ if uint("ui2").is_some() => (uint("ui2").unwrap_or(0) as u16).to_le_bytes().to_vec(),
            _ if int("i4").is_some() => (int("i4").unwrap_or(0) as i32).to_le_bytes().to_vec(),
            _ if uint("ui4").is_some() => (uint("ui4").unwrap_or(0) as u32).to_le_bytes().to_vec(),
            _ if int("i8").is_some() => int("i8").unwrap_or(0).to_le_bytes().to_vec(),
            _ if uint("ui8").is_some() => uint("ui8").unwrap_or(0).to_le_bytes().to_vec(),
            _ if int("cy_int64").is_some() => int("cy_int64").unwrap_or(0).to_le_bytes().to_vec(),
            _ if int("bool").is_some() => (int("bool").unwrap_or(0) as i16).to_le_bytes().to_vec(),
            _ => return unsupported(format!("safearray: element value {}", Value::Object(v.clone()))),
        })
    }

    fn pv_value(v: &Value) -> Result<Pv, Stop> {
        let Some(obj) = v.as_object() else { return unsupported(format!("safearray: pv {v}")) };
        if let Some(b) = obj.get("bstr") {
            return bstr_of(b).map(Pv::Bstr);
        }
        if let Some(var) = obj.get("variant").and_then(Value::as_object) {
            let vt = var.get("vt").and_then(Value::as_u64).unwrap_or(0) as u16;
            if let Some(b) = var.get("bstr") {
                let b = bstr_of(b)?;
                let mut raw = VARIANT::with_vt(VarType::BSTR);
                raw.data.ptr = b.into_raw() as *mut c_void;
                // SAFETY: a fresh BSTR owned by the VARIANT.
                return unsafe { Variant::from_raw(raw) }
                    .map(Pv::Variant)
                    .map_or_else(|e| unsupported(e.to_string()), Ok);
            }
            let mut rest = var.clone();
            rest.remove("vt");
            let mut bytes = [0u8; std::mem::size_of::<VARIANT>()];
            bytes[0..2].copy_from_slice(&vt.to_le_bytes());
            if !rest.is_empty() {
                let payload = scalar_bytes(&rest)?;
                if vt == VarType::DECIMAL.0 {
                    // A DECIMAL overlays the whole VARIANT; its wReserved is vt.
                    bytes[..16].copy_from_slice(&payload);
                    bytes[0..2].copy_from_slice(&vt.to_le_bytes());
                } else {
                    bytes[8..8 + payload.len()].copy_from_slice(&payload);
                }
            }
            // SAFETY: a scalar VARIANT built from its bytes owns nothing.
            return unsafe { Variant::from_raw(VARIANT::from_bytes(&bytes)) }
                .map(Pv::Variant)
                .map_or_else(|e| unsupported(e.to_string()), Ok);
        }
        scalar_bytes(obj).map(Pv::Bytes)
    }

    fn replay(state: &mut State, ops: &[Value]) -> Result<(), Stop> {
        for op in ops {
            let f = op.get("fn").and_then(Value::as_str).unwrap_or("");
            let args = op.get("args").cloned().unwrap_or(Value::Null);
            let ret = op.get("ret").and_then(Value::as_str).map(str::to_string);
            state.last_ret = None;
            let psa = || state.handle(args.get("psa").unwrap_or(&Value::Null));
            // SAFETY: every handle is NULL or an array this scenario created and has not
            // destroyed (the recording ran the same calls on oleaut32); buffers are sized
            // for the element types they carry.
            let hr = unsafe {
                match f {
                    "SafeArrayCreate" => {
                        let vt = VarType(num(&args, "vt")? as u16);
                        let dims = num(&args, "cDims")? as u32;
                        let list = args.get("rgsabound").and_then(Value::as_array).cloned().unwrap_or_default();
                        let b: Vec<SAFEARRAYBOUND> = list.iter().map(bound).collect::<Result<_, _>>()?;
                        if (b.len() as u32) < dims {
                            return unsupported("safearray: fewer bounds than cDims");
                        }
                        let p = raw::safe_array_create(vt, dims, if b.is_empty() { ptr::null() } else { b.as_ptr() });
                        set_ret(state, ret, p)?;
                        Hresult::S_OK
                    }
                    "SafeArrayCreateVector" => {
                        let vt = VarType(num(&args, "vt")? as u16);
                        let p = raw::safe_array_create_vector(
                            vt,
                            num(&args, "lLbound")? as i32,
                            num(&args, "cElements")? as u32,
                        );
                        set_ret(state, ret, p)?;
                        Hresult::S_OK
                    }
                    "SafeArrayPutElement" => {
                        let p = psa()?;
                        let idx: Vec<i32> = args
                            .get("rgIndices")
                            .and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(Value::as_i64).map(|n| n as i32).collect())
                            .unwrap_or_default();
                        match pv_value(args.get("pv").unwrap_or(&Value::Null))? {
                            Pv::Bytes(b) => raw::safe_array_put_element(p, idx.as_ptr(), b.as_ptr() as *const c_void),
                            Pv::Bstr(b) => raw::safe_array_put_element(p, idx.as_ptr(), b.as_ptr() as *const c_void),
                            Pv::Variant(v) => raw::safe_array_put_element(p, idx.as_ptr(), v.as_ptr() as *const c_void),
                        }
                    }
                    "SafeArrayLock" => raw::safe_array_lock(psa()?),
                    "SafeArrayUnlock" => raw::safe_array_unlock(psa()?),
                    "SafeArrayDestroy" => raw::safe_array_destroy(psa()?),
                    "SafeArrayDestroyData" => raw::safe_array_destroy_data(psa()?),
                    "SafeArrayDestroyDescriptor" => raw::safe_array_destroy_descriptor(psa()?),
                    "SafeArrayAllocData" => raw::safe_array_alloc_data(psa()?),
                    "SafeArrayUnaccessData" => raw::safe_array_unaccess_data(psa()?),
                    "SafeArrayAccessData" => {
                        let mut data = ptr::null_mut();
                        raw::safe_array_access_data(psa()?, &mut data)
                    }
                    "SafeArrayAllocDescriptor" | "SafeArrayAllocDescriptorEx" => {
                        let dims = num(&args, "cDims")? as u32;
                        let vt = args.get("vt").and_then(Value::as_u64).map(|v| VarType(v as u16));
                        let slot = state.slot(args.get("ppsaOut").unwrap_or(&Value::Null))?;
                        match vt {
                            Some(vt) => raw::safe_array_alloc_descriptor_ex(vt, dims, slot),
                            None => raw::safe_array_alloc_descriptor(dims, slot),
                        }
                    }
                    "SafeArrayRedim" => {
                        let b = bound(args.get("psaboundNew").unwrap_or(&Value::Null))?;
                        raw::safe_array_redim(psa()?, &b)
                    }
                    "SafeArrayCopy" => {
                        let src = psa()?;
                        let slot = state.slot(args.get("ppsaOut").unwrap_or(&Value::Null))?;
                        raw::safe_array_copy(src, slot)
                    }
                    "SafeArrayCopyData" => {
                        let s = state.handle(args.get("psaSource").unwrap_or(&Value::Null))?;
                        let t = state.handle(args.get("psaTarget").unwrap_or(&Value::Null))?;
                        raw::safe_array_copy_data(s, t)
                    }
                    "SafeArrayGetDim" => {
                        state.last_ret = Some(raw::safe_array_get_dim(psa()?) as i64);
                        Hresult::S_OK
                    }
                    "SafeArrayGetElemsize" => {
                        state.last_ret = Some(raw::safe_array_get_elemsize(psa()?) as i64);
                        Hresult::S_OK
                    }
                    "SetField" => {
                        let p = psa()?;
                        if p.is_null() {
                            return unsupported("safearray: SetField on NULL");
                        }
                        set_field(p, args.get("field").and_then(Value::as_str).unwrap_or(""), num(&args, "value")?)?;
                        Hresult::S_OK
                    }
                    other => return unsupported(format!("safearray: op {other} not replayed")),
                }
            };
            state.last = hr;
            if hr.is_ok() {
                track(state, f, &args);
            }
        }
        Ok(())
    }

    /// Keeps `State::live` up to date after a successful call.
    fn track(state: &mut State, f: &str, args: &Value) {
        let name =
            |k: &str| args.get(k).and_then(|v| v.as_str().or_else(|| v.get("ref")?.as_str())).map(str::to_string);
        match f {
            "SafeArrayDestroy" | "SafeArrayDestroyDescriptor" => {
                if let Some(n) = name("psa") {
                    state.live.remove(&n);
                }
            }
            "SafeArrayAllocDescriptor" | "SafeArrayAllocDescriptorEx" | "SafeArrayCopy" => {
                if let Some(n) = name("ppsaOut") {
                    if state.handles.get(&n).is_some_and(|p| !p.is_null()) {
                        state.live.insert(n);
                    }
                }
            }
            _ => {}
        }
    }

    fn set_ret(state: &mut State, ret: Option<String>, p: *mut SAFEARRAY) -> Result<(), Stop> {
        match ret {
            Some(name) => {
                if !p.is_null() {
                    state.live.insert(name.clone());
                }
                state.handles.insert(name, p);
                Ok(())
            }
            None => unsupported("safearray: a create without a handle"),
        }
    }

    /// A plain store into the descriptor (`OPS_SET`).
    ///
    /// # Safety
    ///
    /// `psa` is a live descriptor with the bounds the field names.
    unsafe fn set_field(psa: *mut SAFEARRAY, field: &str, value: i64) -> Result<(), Stop> {
        // SAFETY: per the caller.
        unsafe {
            if field == "cbElements" {
                (*psa).cbElements = value as u32;
                return Ok(());
            }
            let parsed = field
                .strip_prefix("rgsabound[")
                .and_then(|r| r.split_once("]."))
                .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)));
            let Some((i, f)) = parsed else { return unsupported(format!("safearray: SetField {field}")) };
            if i >= (*psa).cDims as usize {
                return unsupported("safearray: SetField beyond cDims");
            }
            let b = marshal_core_bound_ptr(psa, i);
            match f {
                "cElements" => (*b).cElements = value as u32,
                "lLbound" => (*b).lLbound = value as i32,
                _ => return unsupported(format!("safearray: SetField {field}")),
            }
        }
        Ok(())
    }

    /// `&rgsabound[i]` of a descriptor.
    ///
    /// # Safety
    ///
    /// `i < cDims`.
    unsafe fn marshal_core_bound_ptr(psa: *mut SAFEARRAY, i: usize) -> *mut SAFEARRAYBOUND {
        // SAFETY: the bounds follow the header in the same allocation.
        unsafe { (ptr::addr_of_mut!((*psa).rgsabound) as *mut SAFEARRAYBOUND).add(i) }
    }

    /// The descriptor dump (`probe.what == "dump"`).
    ///
    /// # Safety
    ///
    /// `psa` is a live descriptor allocated by the engine.
    unsafe fn dump(out: &mut Outcome, psa: *mut SAFEARRAY, mask: Option<&str>) {
        // SAFETY: per the caller.
        unsafe {
            let dims = (*psa).cDims as u32;
            out.set("cDims", dims);
            out.set("fFeatures", format!("0x{:04x}", (*psa).fFeatures));
            out.set("cbElements", (*psa).cbElements);
            out.set("cLocks", (*psa).cLocks);
            out.set("header_hex_pvData_zeroed", hex(&header_bytes(psa, usize::MAX)));
            out.set("pre16_hex", hex(&pre16(psa)));
            let mut vt = VarType(0);
            let hr = raw::safe_array_get_vartype(psa, &mut vt);
            out.set("GetVartype_hr", format!("0x{:08x}", hr.0 as u32));
            out.set("vartype", if hr.is_ok() { vt.0 } else { 0 });
            out.set("GetDim", raw::safe_array_get_dim(psa));
            out.set("GetElemsize", raw::safe_array_get_elemsize(psa));
            let mut bounds = Vec::new();
            for dim in 1..=dims {
                let (mut lb, mut ub) = (0, 0);
                raw::safe_array_get_lbound(psa, dim, &mut lb);
                raw::safe_array_get_ubound(psa, dim, &mut ub);
                bounds.push(json!({"dim": dim, "lbound": lb, "ubound": ub}));
            }
            out.set("bounds", Value::Array(bounds));
            let data = (*psa).pvData as *const u8;
            out.set("pvData_mod16", data as usize % 16);
            let cells = (1..=dims)
                .map(|d| (*marshal_core_bound_ptr(psa, (dims - d) as usize)).cElements as usize)
                .try_fold(1usize, usize::checked_mul)
                .unwrap_or(0);
            let cb = (*psa).cbElements as usize;
            let mut bytes =
                if data.is_null() { Vec::new() } else { std::slice::from_raw_parts(data, cells * cb).to_vec() };
            match mask {
                Some("ptr8") => bytes.fill(0),
                Some("variant") => {
                    for v in bytes.chunks_mut(24) {
                        let vt = u16::from_le_bytes([v[0], v[1]]);
                        if variant_payload_is_pointer(vt) {
                            v[8..16].fill(0);
                        }
                    }
                }
                _ => {}
            }
            out.set("data_hex", hex(&bytes));
        }
    }

    fn bstr_dump(b: &Bstr) -> Value {
        if b.is_null() {
            return json!({"null": true});
        }
        let units = b.as_wide();
        json!({
            "null": false,
            "len": units.len(),
            "bytelen": b.byte_len(),
            "u16": units.iter().map(|u| format!("{u:04x}")).collect::<String>(),
            "text": String::from_utf16_lossy(units),
        })
    }

    fn variant_payload_is_pointer(vt: u16) -> bool {
        vt & VarType::BYREF_FLAG != 0
            || vt & VarType::ARRAY_FLAG != 0
            || matches!(VarType(vt), VarType::BSTR | VarType::DISPATCH | VarType::UNKNOWN | VarType::RECORD)
    }

    fn probe(state: &State, probe: &Value, out: &mut Outcome) -> Result<(), Stop> {
        let what = probe.get("what").and_then(Value::as_str).unwrap_or("");
        let of = || state.handle(probe.get("of").unwrap_or(&Value::Null));
        match what {
            "sizes" => {
                out.set("sizeof_SAFEARRAY", std::mem::size_of::<SAFEARRAY>());
                out.set("sizeof_SAFEARRAYBOUND", std::mem::size_of::<SAFEARRAYBOUND>());
                out.set("offsetof_pvData", std::mem::offset_of!(SAFEARRAY, pvData));
                out.set("offsetof_rgsabound", std::mem::offset_of!(SAFEARRAY, rgsabound));
            }
            "dump" => {
                let p = of()?;
                if p.is_null() {
                    out.set("null", true);
                } else {
                    // SAFETY: a live descriptor of this scenario.
                    unsafe { dump(out, p, probe.get("mask").and_then(Value::as_str)) };
                }
            }
            "ret" => match probe.get("field").and_then(Value::as_str) {
                Some("hr") => hr_fields(out, state.last),
                Some("ret") | Some("value") => match state.last_ret {
                    Some(v) => out.set(probe["field"].as_str().unwrap_or("ret"), v),
                    None => return unsupported("safearray: probe of a return value the replay did not produce"),
                },
                other => return unsupported(format!("safearray: ret probe field {other:?}")),
            },
            "GetElement" => {
                let p = of()?;
                let idx: Vec<i32> = probe
                    .get("idx")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_i64).map(|n| n as i32).collect())
                    .unwrap_or_default();
                let fill = probe.get("prefill").and_then(Value::as_u64).unwrap_or(0) as u8;
                match probe.get("as").and_then(Value::as_str) {
                    Some("i4") | Some("decimal") => {
                        let decimal = probe.get("as").and_then(Value::as_str) == Some("decimal");
                        let mut buf = vec![fill; if decimal { 16 } else { 4 }];
                        // SAFETY: a live descriptor; `buf` has room for the element asked for.
                        let hr = unsafe { raw::safe_array_get_element(p, idx.as_ptr(), buf.as_mut_ptr() as _) };
                        hr_fields(out, hr);
                        if hr.is_ok() {
                            if decimal {
                                out.set("decimal_hex", hex(&buf));
                            } else {
                                out.set("value", i32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]));
                            }
                        }
                    }
                    Some("bstr") => {
                        let mut b: *mut u16 =
                            if fill != 0 { usize::from_ne_bytes([fill; 8]) as *mut u16 } else { ptr::null_mut() };
                        // SAFETY: a live descriptor; `b` is an out BSTR variable.
                        let hr = unsafe { raw::safe_array_get_element(p, idx.as_ptr(), &mut b as *mut *mut u16 as _) };
                        hr_fields(out, hr);
                        if hr.is_ok() {
                            // SAFETY: on success `b` is a BSTR the caller owns (or null).
                            let owned = unsafe { Bstr::from_raw(b) };
                            out.set("value", bstr_dump(&owned));
                        }
                    }
                    Some("variant") => {
                        let mut v = if fill != 0 {
                            VARIANT::from_bytes(&[fill; std::mem::size_of::<VARIANT>()])
                        } else {
                            VARIANT::EMPTY
                        };
                        // SAFETY: a live descriptor; `v` is an out VARIANT variable.
                        let hr = unsafe { raw::safe_array_get_element(p, idx.as_ptr(), &mut v as *mut VARIANT as _) };
                        hr_fields(out, hr);
                        if hr.is_ok() {
                            out.set("value", crate::families::oleaut::dump_variant(&v).map_err(Stop::Unsupported)?);
                            // SAFETY: on success `v` is a VARIANT the caller owns.
                            drop(unsafe { Variant::from_raw(v) });
                        }
                    }
                    other => return unsupported(format!("safearray: GetElement as {other:?}")),
                }
            }
            "PtrOfIndex" => {
                let p = of()?;
                let idx: Vec<i32> = probe
                    .get("idx")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_i64).map(|n| n as i32).collect())
                    .unwrap_or_default();
                let mut at = ptr::null_mut();
                // SAFETY: a live descriptor; idx holds the probe's indices.
                let hr = unsafe { raw::safe_array_ptr_of_index(p, idx.as_ptr(), &mut at) };
                hr_fields(out, hr);
                if hr.is_ok() {
                    // SAFETY: a live descriptor.
                    out.set("offset", at as usize - unsafe { (*p).pvData } as usize);
                }
            }
            "bound_hrs" => {
                let p = of()?;
                let (mut lb, mut ub) = (0, 0);
                let ud = probe.get("ubound_dim").and_then(Value::as_u64).unwrap_or(0) as u32;
                let ld = probe.get("lbound_dim").and_then(Value::as_u64).unwrap_or(0) as u32;
                // SAFETY: a live descriptor (or NULL, which the functions refuse).
                let (uh, lh) =
                    unsafe { (raw::safe_array_get_ubound(p, ud, &mut ub), raw::safe_array_get_lbound(p, ld, &mut lb)) };
                out.set("ubound_hr", format!("0x{:08x}", uh.0 as u32));
                out.set("lbound_hr", format!("0x{:08x}", lh.0 as u32));
            }
            other => return unsupported(format!("safearray: probe {other:?} not evaluated")),
        }
        Ok(())
    }

    pub(super) fn evaluate(line: &Value) -> Outcome {
        let ops = line.get("ops").and_then(Value::as_array).cloned().unwrap_or_default();
        let Some(probe_v) = line.get("probe") else { return Outcome::unsupported("safearray: line has no probe") };
        let mut state =
            State { handles: HashMap::new(), live: Default::default(), last: Hresult::S_OK, last_ret: None };
        let mut out = Outcome::default();
        let result = replay(&mut state, &ops).and_then(|()| probe(&state, probe_v, &mut out));
        // Nothing of the scenario outlives the line: destroy what is still live,
        // unlocking first (a scenario may end with an array locked).
        for name in &state.live {
            let p = state.handles[name];
            // SAFETY: a live descriptor this scenario created.
            unsafe {
                while raw::safe_array_unlock(p).is_ok() {}
                raw::safe_array_destroy(p);
            }
        }
        match result {
            Ok(()) => out,
            Err(Stop::Unsupported(why)) => Outcome::unsupported(why),
        }
    }
}

mod mono {
    use super::*;

    /// The element VARTYPE and element value kind of a managed array element type.
    fn element_vartype(elem: &str) -> Option<VarType> {
        Some(match elem {
            "Int32" => VarType::I4,
            "UInt32" => VarType::UI4,
            "Int16" => VarType::I2,
            "UInt16" => VarType::UI2,
            "SByte" => VarType::I1,
            "Byte" => VarType::UI1,
            "Int64" => VarType::I8,
            "UInt64" => VarType::UI8,
            "Single" => VarType::R4,
            "Double" => VarType::R8,
            "Boolean" => VarType::BOOL,
            "String" => VarType::BSTR,
            "Object" => VarType::VARIANT,
            _ => return None,
        })
    }

    fn sub_type(name: &str) -> Option<VarType> {
        // VT_EMPTY is what the recording shows for "no SafeArraySubType".
        name.strip_prefix("VT_").and_then(VarType::from_base_name).filter(|vt| *vt != VarType::EMPTY)
    }

    /// Builds the SAFEARRAY the marshaler passes for a managed array argument.
    fn build(arg: &Value, vt: VarType) -> Result<SafeArray, String> {
        let elems = arg.get("v").and_then(Value::as_array).ok_or("array argument without elements")?;
        let rank = arg.get("rank").and_then(Value::as_u64).unwrap_or(1) as usize;
        let (lbounds, lengths): (Vec<i64>, Vec<u64>) = if rank == 1 {
            (vec![arg.get("lbound").and_then(Value::as_i64).unwrap_or(0)], vec![elems.len() as u64])
        } else {
            let lb = arg.get("lbounds").and_then(Value::as_array).ok_or("lbounds")?;
            let len = arg.get("lengths").and_then(Value::as_array).ok_or("lengths")?;
            (lb.iter().filter_map(Value::as_i64).collect(), len.iter().filter_map(Value::as_u64).collect())
        };
        let bounds: Vec<Bound> = lbounds.iter().zip(&lengths).map(|(&l, &n)| Bound::new(l as i32, n as u32)).collect();
        if bounds.len() != rank {
            return Err("rank and bounds disagree".into());
        }
        macro_rules! typed {
            ($t:ty, $f:expr) => {{
                let vals: Vec<$t> = elems.iter().map($f).collect::<Option<_>>().ok_or("element of another type")?;
                // .NET arrays are row-major; the marshaler transposes.
                SafeArray::from_row_major(&bounds, &vals).map_err(|e| e.to_string())
            }};
        }
        let int = |e: &Value| e.get("v").and_then(Value::as_i64);
        match vt {
            VarType::I4 | VarType::INT => typed!(i32, |e| int(e).map(|n| n as i32)),
            VarType::UI4 | VarType::UINT => typed!(u32, |e| int(e).map(|n| n as u32)),
            VarType::I2 => typed!(i16, |e| int(e).map(|n| n as i16)),
            VarType::UI2 => typed!(u16, |e| int(e).map(|n| n as u16)),
            VarType::I1 => typed!(i8, |e| int(e).map(|n| n as i8)),
            VarType::UI1 => typed!(u8, |e| int(e).map(|n| n as u8)),
            VarType::I8 => typed!(i64, int),
            VarType::BOOL => typed!(bool, |e| e.get("v").and_then(Value::as_bool)),
            VarType::BSTR => typed!(String, managed_string),
            VarType::VARIANT => typed!(Variant, managed_object),
            other => Err(format!("SAFEARRAY of {other:?} elements not modelled")),
        }
    }

    /// A managed string argument (`{"t":"string","u16":…}`) as a Rust string.
    fn managed_string(e: &Value) -> Option<String> {
        let units = crate::oracle_value::u16_units(e.get("u16")?.as_str()?)?;
        String::from_utf16(&units).ok()
    }

    /// A managed `object` element as the VARIANT the CLR makes of it (`GetNativeVariantForObject`).
    fn managed_object(e: &Value) -> Option<Variant> {
        match e.get("t")?.as_str()? {
            "i32" => Some(Variant::from(e.get("v")?.as_i64()? as i32)),
            "string" => Some(Variant::from(managed_string(e)?)),
            "null" => Some(Variant::empty()),
            _ => None,
        }
    }

    /// What `log_sa` of oracle_native.c prints for an array.
    fn log_array(native: &mut Map<String, Value>, psa: *mut SAFEARRAY) {
        native.insert("psa".into(), ptr_marker(psa as *const c_void).into());
        if psa.is_null() {
            return;
        }
        // SAFETY: `psa` is the engine's own live array.
        unsafe {
            native.insert("pre16".into(), hex(&pre16(psa)).into());
            native.insert("header".into(), hex(&header_bytes(psa, 8)).into());
            let dims = ((*psa).cDims as usize).min(8);
            let mut count: u64 = 1;
            for i in 0..dims {
                let b = (ptr::addr_of_mut!((*psa).rgsabound) as *const SAFEARRAYBOUND).add(i).read();
                count = count.saturating_mul(b.cElements as u64);
            }
            let bytes = count.saturating_mul((*psa).cbElements as u64);
            let data = (*psa).pvData as *const u8;
            if !data.is_null() && bytes <= 4096 {
                native.insert("data".into(), hex(std::slice::from_raw_parts(data, bytes as usize)).into());
            }
        }
    }

    /// The managed value of an I4-like array read back, in the oracle's encoding.
    fn managed_json(array: &SafeArray, elem: &str) -> Result<Value, String> {
        let values: Vec<Value> = match elem {
            "Int32" => array
                .to_row_major::<i32>()
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|v| json!({"t": "i32", "v": v}))
                .collect(),
            "String" => array
                .to_row_major::<Bstr>()
                .map_err(|e| e.to_string())?
                .iter()
                .map(|b| if b.is_null() { json!({"t": "null"}) } else { crate::oracle_value::string_json(b.as_wide()) })
                .collect(),
            "Object" => array
                .to_row_major::<Variant>()
                .map_err(|e| e.to_string())?
                .iter()
                .map(|v| match v.value() {
                    VariantValue::I4(n) => Ok(json!({"t": "i32", "v": n})),
                    VariantValue::Bstr(units) => Ok(crate::oracle_value::string_json(units)),
                    VariantValue::Empty => Ok(json!({"t": "null"})),
                    other => Err(format!("reading back {other:?} not modelled")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(format!("reading back {elem}[] not modelled")),
        };
        let bounds = array.bounds();
        Ok(if bounds.len() == 1 {
            json!({"t": "array", "elem": elem, "rank": 1, "lbound": bounds[0].lower, "v": values})
        } else {
            json!({"t": "array", "elem": elem, "rank": bounds.len(),
                   "lbounds": bounds.iter().map(|b| b.lower).collect::<Vec<_>>(),
                   "lengths": bounds.iter().map(|b| b.count).collect::<Vec<_>>(), "v": values})
        })
    }

    fn size_of_struct(call: &Value) -> Result<Outcome, String> {
        let name = call.pointer("/args/0/v").and_then(Value::as_str).ok_or("SizeOf of what")?;
        let decl = call.get("types").and_then(|t| t.get(name)).ok_or("struct not declared")?;
        let mut b = StructBuilder::sequential(name);
        if let Some(p) = decl.get("pack").and_then(Value::as_u64) {
            b = b.pack(p as u32);
        }
        if decl.get("charset").and_then(Value::as_str) == Some("Unicode") {
            b = b.charset(CharSet::Unicode);
        }
        for f in decl.get("fields").and_then(Value::as_array).ok_or("fields")? {
            let fname = f.get("name").and_then(Value::as_str).ok_or("field name")?;
            let ty = f.get("type").and_then(Value::as_str).ok_or("field type")?;
            let sa = f.pointer("/marshal_as/value").and_then(Value::as_str) == Some("SafeArray");
            let desc = match (ty, sa) {
                (_, true) => {
                    let vt = f
                        .pointer("/marshal_as/safe_array_sub_type")
                        .and_then(Value::as_str)
                        .and_then(sub_type)
                        .unwrap_or(VarType::EMPTY);
                    TypeDesc::SafeArray(vt)
                }
                ("Byte", false) => TypeDesc::U8,
                ("Int32", false) => TypeDesc::I32,
                _ => return Err(format!("field type {ty} not modelled")),
            };
            b = b.field(fname, desc);
        }
        let ty = b.build().map_err(|e| e.to_string())?;
        let layout = Layout::of(&ty).map_err(|e| e.to_string())?;
        let mut out = Outcome::default();
        out.set("SizeOf", layout.size());
        Ok(out)
    }

    pub(super) fn evaluate(line: &Value) -> Outcome {
        match try_evaluate(line) {
            Ok(out) => out,
            Err(why) => Outcome::unsupported(format!("safearray (mono): {why}")),
        }
    }

    fn try_evaluate(line: &Value) -> Result<Outcome, String> {
        let call = line.get("call").ok_or("line has no call")?;
        if call.get("api").and_then(Value::as_str) == Some("Marshal.SizeOf") {
            return size_of_struct(call);
        }
        let entry = call.get("entry").and_then(Value::as_str).ok_or("no entry")?;
        let param = call.pointer("/sig/params/0").ok_or("no parameter")?;
        let arg = call.pointer("/args/0").ok_or("no argument")?;
        let elem = arg.get("elem").and_then(Value::as_str).ok_or("argument is not an array")?;
        let declared = param.pointer("/marshal_as/safe_array_sub_type").and_then(Value::as_str);
        let vt = match declared {
            Some(name) => sub_type(name).ok_or(format!("SafeArraySubType {name}"))?,
            // No SafeArraySubType: the element type's default (CLR §6: object → VARIANT, string → BSTR …).
            None => element_vartype(elem).ok_or(format!("element type {elem}"))?,
        };
        let rank = arg.get("rank").and_then(Value::as_u64).unwrap_or(1) as u32;
        let marshaler = SafeArrayMarshaler::new(vt).with_rank(rank);
        let array = build(arg, vt)?;
        let mut native = Map::new();
        let mut out = Outcome::default();
        match (entry, param.get("byref").and_then(Value::as_str)) {
            ("on_safearray", Some("none") | None) => {
                // What the callee sees: the array the engine lends (locked for the call).
                let arg = marshaler.to_native_in(Some(&array)).map_err(|e| e.to_string())?;
                log_array(&mut native, arg.as_ptr());
            }
            ("on_safearray_ref", Some("ref")) => {
                let mut slot = InOutArray::new(marshaler, Some(array)).map_err(|e| e.to_string())?;
                let pp = slot.as_mut_ptr();
                native.insert("ppsa".into(), ptr_marker(pp as *const c_void).into());
                // SAFETY: the slot holds the array just moved in.
                log_array(&mut native, unsafe { *pp });
                // SAFETY: the "callee" left the array in place.
                let back = unsafe { slot.finish() }.map_err(|e| e.to_string())?.ok_or("ref array came back null")?;
                out.set("managed_after", managed_json(&back, elem)?);
            }
            other => return Err(format!("call shape {other:?} not modelled")),
        }
        out.set("native", Value::Object(native));
        Ok(out)
    }
}
