//! `wine_oleaut.jsonl`, `kind: "bstr"`: the line's `ops` (oleaut32 BSTR calls) are
//! replayed on the engine's `sys_*` functions (or its C ABI, see [`crate::abi`]), then its
//! `probe` is evaluated.
//!
//! Vocabulary (oracle/README.md): handles `"hN"` are BSTR variables defined by an op's
//! `ret` or by `{"ref": "hN"}`; strings are `{"u16": hex}` / `{"bytes": hex}` literals
//! (passed as the address of a buffer holding them); a handle as a string argument
//! passes its current value (the "self" case of the realloc functions).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::abi::bstr::{self, BSTR};

use crate::oracle_value::u16_units;
use crate::outcome::Outcome;

/// The line's own inputs beyond the common ones.
pub const INPUTS: &[&str] = &["op"];

/// A BSTR variable of the scenario.
#[derive(Default)]
struct Handle {
    value: BSTR,
    /// Every value it was given (for the addr_mod16 probe), in order.
    last_assigned: Option<usize>,
    /// Freed by an op (its value is dangling).
    freed: bool,
}

/// Buffers holding string literals for the duration of the replay.
enum Literal {
    Wide(Vec<u16>),
    Bytes(Vec<u8>),
}

#[derive(Default)]
struct Scenario {
    handles: HashMap<String, Handle>,
    literals: Vec<Literal>,
    last_ret: Option<i64>,
}

impl Scenario {
    fn assign(&mut self, name: &str, value: BSTR) {
        let h = self.handles.entry(name.to_string()).or_default();
        h.value = value;
        h.last_assigned = Some(value as usize);
        h.freed = false;
    }

    /// A pointer argument: null, a literal buffer, or a handle's current value.
    fn pointer_arg(&mut self, v: Option<&Value>) -> Result<*const u8, String> {
        match v {
            None | Some(Value::Null) => Ok(core::ptr::null()),
            Some(Value::String(h)) => {
                let handle = self.handles.get(h).ok_or_else(|| format!("bstr: unknown handle {h}"))?;
                if handle.freed {
                    return Err(format!("bstr: handle {h} used after free"));
                }
                Ok(handle.value.cast())
            }
            Some(Value::Object(o)) => {
                let lit = if let Some(hex) = o.get("u16").and_then(Value::as_str) {
                    let mut units = u16_units(hex).ok_or("bstr: bad u16 literal")?;
                    units.push(0); // never read past the literal, even by a wrong length
                    Literal::Wide(units)
                } else if let Some(hex) = o.get("bytes").and_then(Value::as_str) {
                    let mut bytes = from_hex(hex).ok_or("bstr: bad bytes literal")?;
                    bytes.extend_from_slice(&[0, 0]);
                    Literal::Bytes(bytes)
                } else {
                    return Err(format!("bstr: unknown pointer argument {}", Value::Object(o.clone())));
                };
                self.literals.push(lit);
                Ok(match self.literals.last().unwrap() {
                    Literal::Wide(v) => v.as_ptr().cast(),
                    Literal::Bytes(v) => v.as_ptr(),
                })
            }
            Some(other) => Err(format!("bstr: unsupported argument {other}")),
        }
    }

    /// The length in units a literal argument holds (to refuse over-long lengths).
    fn literal_room(&self, v: Option<&Value>, wide: bool) -> Option<usize> {
        let o = v?.as_object()?;
        if wide {
            Some(o.get("u16")?.as_str()?.len() / 4)
        } else {
            Some(o.get("bytes")?.as_str()?.len() / 2)
        }
    }

    fn ref_handle(&mut self, v: Option<&Value>) -> Result<String, String> {
        let o = v.and_then(Value::as_object).ok_or("bstr: expected a {\"ref\": handle}")?;
        let name = o.get("ref").and_then(Value::as_str).ok_or("bstr: ref without handle")?.to_string();
        if o.contains_key("init") {
            return Err("bstr: a junk-initialised BSTR variable cannot be replayed".into());
        }
        self.handles.entry(name.clone()).or_default();
        if self.handles[&name].freed {
            return Err(format!("bstr: handle {name} used after free"));
        }
        Ok(name)
    }

    fn run(&mut self, op: &Value) -> Result<(), String> {
        let f = op.get("fn").and_then(Value::as_str).ok_or("bstr: op without fn")?;
        let args = op.get("args").and_then(Value::as_object).cloned().unwrap_or_default();
        let ret = op.get("ret").and_then(Value::as_str);
        let num = |k: &str| args.get(k).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok());
        self.last_ret = None;
        // SAFETY: pointer arguments are null, live handles of this
        // scenario, or literal buffers at least as long as the length passed (checked).
        unsafe {
            match f {
                "SysAllocString" => {
                    let p = self.pointer_arg(args.get("psz"))?;
                    let b = bstr::sys_alloc_string(p.cast());
                    self.assign(ret.ok_or("bstr: alloc without ret")?, b);
                }
                "SysAllocStringLen" => {
                    let len = num("ui").ok_or("bstr: no ui")?;
                    if self.literal_room(args.get("strIn"), true).is_some_and(|room| (len as usize) > room) {
                        return Err("bstr: length beyond the literal".into());
                    }
                    let p = self.pointer_arg(args.get("strIn"))?;
                    let b = bstr::sys_alloc_string_len(p.cast(), len);
                    self.assign(ret.ok_or("bstr: alloc without ret")?, b);
                }
                "SysAllocStringByteLen" => {
                    let len = num("len").ok_or("bstr: no len")?;
                    if self.literal_room(args.get("psz"), false).is_some_and(|room| (len as usize) > room) {
                        return Err("bstr: length beyond the literal".into());
                    }
                    let p = self.pointer_arg(args.get("psz"))?;
                    let b = bstr::sys_alloc_string_byte_len(p, len);
                    self.assign(ret.ok_or("bstr: alloc without ret")?, b);
                }
                "SysReAllocString" | "SysReAllocStringLen" => {
                    let name = self.ref_handle(args.get("pbstr"))?;
                    let src = self.pointer_arg(args.get("psz"))?;
                    let mut slot = self.handles[&name].value;
                    let r = if f == "SysReAllocString" {
                        bstr::sys_re_alloc_string(&mut slot, src.cast())
                    } else {
                        let len = num("len").ok_or("bstr: no len")?;
                        if self.literal_room(args.get("psz"), true).is_some_and(|room| (len as usize) > room) {
                            return Err("bstr: length beyond the literal".into());
                        }
                        bstr::sys_re_alloc_string_len(&mut slot, src.cast(), len)
                    };
                    if slot != self.handles[&name].value {
                        self.assign(&name, slot);
                    }
                    self.last_ret = Some(i64::from(r));
                }
                "SysFreeString" => {
                    let name = args.get("bstrString").and_then(Value::as_str);
                    match name {
                        None => bstr::sys_free_string(core::ptr::null_mut()),
                        Some(h) => {
                            let handle = self.handles.get_mut(h).ok_or("bstr: free of an unknown handle")?;
                            if handle.freed {
                                return Err("bstr: double free in the ops".into());
                            }
                            bstr::sys_free_string(handle.value);
                            handle.freed = true;
                        }
                    }
                }
                "SysStringLen" | "SysStringByteLen" => {
                    let key = if f == "SysStringLen" { "pbstr" } else { "bstr" };
                    let p = self.pointer_arg(args.get(key))?;
                    let n = if f == "SysStringLen" {
                        bstr::sys_string_len(p.cast_mut().cast())
                    } else {
                        bstr::sys_string_byte_len(p.cast_mut().cast())
                    };
                    self.last_ret = Some(i64::from(n));
                }
                other => return Err(format!("bstr: op {other} not modelled")),
            }
        }
        Ok(())
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        for h in self.handles.values() {
            if !h.freed {
                // SAFETY: a live BSTR of the scenario, freed once.
                unsafe { bstr::sys_free_string(h.value) };
            }
        }
    }
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// Evaluates one bstr line.
pub fn evaluate(line: &Value) -> Outcome {
    match replay(line) {
        Ok(out) => out,
        Err(why) => Outcome::unsupported(why),
    }
}

fn replay(line: &Value) -> Result<Outcome, String> {
    let ops = line.get("ops").and_then(Value::as_array).ok_or("bstr: line has no ops")?;
    let probe = line.get("probe").and_then(Value::as_object).ok_or("bstr: line has no probe")?;
    let mut sc = Scenario::default();
    for op in ops {
        sc.run(op)?;
    }
    let mut out = Outcome::default();
    match probe.get("what").and_then(Value::as_str) {
        Some("bstr") => {
            let of = probe.get("of").and_then(Value::as_str).ok_or("bstr: probe without of")?;
            let h = sc.handles.get(of).ok_or("bstr: probe of an unknown handle")?;
            if h.freed {
                return Err("bstr: probe of a freed handle".into());
            }
            let extra = probe.get("extra_after").and_then(Value::as_u64).unwrap_or(2) as usize;
            dump(h.value, extra, &mut out.outputs)?;
        }
        Some("ret") => {
            let field = probe.get("field").and_then(Value::as_str).ok_or("bstr: ret probe without field")?;
            let v = sc.last_ret.ok_or("bstr: the last op returns nothing")?;
            match field {
                "ret" | "value" => out.set(field, v),
                other => return Err(format!("bstr: ret field {other} not modelled")),
            }
        }
        Some("addr_mod16") => {
            let of = probe.get("of").and_then(Value::as_array).ok_or("bstr: addr_mod16 probe without of")?;
            let mut list = Vec::new();
            for name in of {
                let h = name.as_str().and_then(|n| sc.handles.get(n)).ok_or("bstr: unknown handle")?;
                list.push(Value::from(h.last_assigned.ok_or("bstr: handle never assigned")? % 16));
            }
            let key = line
                .as_object()
                .and_then(|o| o.keys().find(|k| k.starts_with("addr_mod16_by_")).cloned())
                .unwrap_or_else(|| "addr_mod16_by_handle".into());
            out.set(&key, list);
        }
        other => return Err(format!("bstr: probe {other:?} not modelled")),
    }
    Ok(out)
}

/// The BSTR dump of the Wine lines.
fn dump(b: BSTR, extra: usize, out: &mut Map<String, Value>) -> Result<(), String> {
    out.insert("result_null".into(), b.is_null().into());
    if b.is_null() {
        return Ok(());
    }
    // SAFETY: `b` is a live BSTR of the engine's allocator.
    let byte_len = unsafe { bstr::sys_string_byte_len(b) } as usize;
    // The allocator zeroes up to the end of the next whole unit (2 or 3 bytes): read no
    // further than that.
    let written_after = byte_len.div_ceil(2) * 2 + 2 - byte_len;
    if extra > written_after {
        return Err(format!("bstr: {extra} bytes after the payload asked for, {written_after} defined"));
    }
    // SAFETY: the prefix, payload and terminator bytes are initialised parts of the block.
    let bytes = unsafe { core::slice::from_raw_parts(b.cast::<u8>().sub(4), 4 + byte_len + extra) };
    out.insert("addr_mod16".into(), (b as usize % 16).into());
    // SAFETY: as above.
    out.insert("SysStringLen".into(), unsafe { bstr::sys_string_len(b) }.into());
    out.insert("SysStringByteLen".into(), byte_len.into());
    out.insert(
        "prefix_plus_payload_plus_hex".into(),
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>().into(),
    );
    out.insert("extra_after_bytes".into(), extra.into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{check_line, LineResult};
    use marshal_core::alloc::tracking::LeakCheck;

    #[test]
    fn every_bstr_line_agrees_without_leaks() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/wine_oleaut.jsonl");
        let text = std::fs::read_to_string(path).unwrap();
        let check = LeakCheck::start();
        let mut passed = 0;
        for (i, raw) in text.lines().enumerate() {
            let line: Value = serde_json::from_str(raw).unwrap();
            if line.get("kind").and_then(Value::as_str) != Some("bstr") {
                continue;
            }
            match check_line(&line, false) {
                LineResult::Passed => passed += 1,
                other => panic!("line {}: {other:?}", i + 1),
            }
        }
        assert_eq!(passed, 18);
        check.assert_no_leaks();
    }
}
