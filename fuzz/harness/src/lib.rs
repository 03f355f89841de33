//! # marshal-fuzz-harness
//!
//! The bodies of the cargo-fuzz targets in `fuzz/fuzz_targets/`, kept in an ordinary library of the root
//! workspace so that they are linted, documented and tested on stable like the rest of the project, and so that
//! `cargo test -p marshal-fuzz-harness` replays every checked-in seed (`fuzz/corpus/<target>/`) and every kept
//! crash (`fuzz/regressions/<target>/`) through exactly the code the fuzzer runs.
//!
//! Every target reads bytes that native code could have produced — a BSTR, a VARIANT, a SAFEARRAY descriptor,
//! a string in some code page, a struct image — and asserts invariants, not just the absence of a crash:
//!
//! - **error, not panic**: every refusal is a typed error of the documented kind;
//! - **round trip** where one exists (a value read back and written again gives the same bytes; text formatted
//!   and parsed again gives the same value);
//! - **no leak**: every BSTR / CoTaskMem block allocated during one input is freed by its end
//!   ([`marshal_core::alloc::tracking`]), and every fake COM object ([`com`]) is back at the reference count it
//!   started with — neither leaked nor over-released.
//!
//! Native memory is built by the harness exactly as a well-behaved native caller would lay it out
//! ([`native`]): fuzzed bytes decide the *values*, but pointers inside them are always null or point at live
//! objects of the right kind, because the engine trusts a pointer's target the way the CLR does (a wild pointer
//! from native code is undefined behaviour on every implementation, not a marshaling bug).
//!
//! | target | module | reader under test |
//! |---|---|---|
//! | `bstr_raw` | [`targets::bstr_raw`] | `BstrRef::from_raw`, the `sys_*` BSTR functions, `ptr_to_string_bstr` |
//! | `strings_decode` | [`targets::strings_decode`] | every native string form and code page, ByValTStr, StringBuilder buffers |
//! | `variant_raw` | [`targets::variant_raw`] | `Variant::from_raw`, `VariantRef`, `VariantCopy(Ind)`, `VariantClear` on every VT |
//! | `variant_change_type` | [`targets::variant_change_type`] | `VariantChangeTypeEx` on arbitrary (source, target, flags, LCID) |
//! | `variant_text` | [`targets::variant_text`] | `Var*FromStr` / `VarBstrFrom*` on arbitrary text and values |
//! | `safearray_raw` | [`targets::safearray_raw`] | `safearray::validate`, element access, copy, redim, destroy |
//! | `struct_from_native` | [`targets::struct_from_native`] | `Plan::from_native` / `to_native` of random TypeDescs |
//! | `pinvoke_signature` | [`targets::pinvoke_signature`] | `Signature` validation and calls through a do-nothing callee |
//! | `dispatch_invoke` | [`targets::dispatch_invoke`] | `IDispatch::Invoke` argument unpacking from a raw `DISPPARAMS`, and results from a native `IDispatch` |
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod com;
pub mod corpus;
pub mod native;
pub mod targets;

use arbitrary::Unstructured;
use marshal_core::alloc::tracking::LeakCheck;

/// The checks that close every fuzz input: no BSTR / CoTaskMem leak on this thread, every fake COM object back
/// at its starting reference count (then freed).
#[must_use = "call finish() at the end of the input"]
pub struct Guard {
    leaks: LeakCheck,
}

impl Guard {
    /// Starts counting (allocator tracking on, fake-object registry empty).
    pub fn start() -> Guard {
        com::reset();
        Guard { leaks: LeakCheck::start() }
    }

    /// Asserts that the input leaked nothing and released nothing it did not own.
    #[track_caller]
    pub fn finish(self) {
        com::check_and_free();
        self.leaks.assert_no_leaks();
    }
}

/// A byte from the input (0 once it is exhausted).
pub fn byte(u: &mut Unstructured<'_>) -> u8 {
    u.arbitrary().unwrap_or(0)
}

/// A little-endian u16 from the input (zero-padded once it is exhausted).
pub fn u16_le(u: &mut Unstructured<'_>) -> u16 {
    u.arbitrary().unwrap_or(0)
}

/// A little-endian u32 from the input (zero-padded once it is exhausted).
pub fn u32_le(u: &mut Unstructured<'_>) -> u32 {
    u.arbitrary().unwrap_or(0)
}

/// A little-endian u64 from the input (zero-padded once it is exhausted).
pub fn u64_le(u: &mut Unstructured<'_>) -> u64 {
    u.arbitrary().unwrap_or(0)
}

/// Up to `max` bytes, as many as the input still has.
pub fn bytes<'a>(u: &mut Unstructured<'a>, max: usize) -> &'a [u8] {
    let n = max.min(u.len());
    u.bytes(n).unwrap_or(&[])
}

/// A length-prefixed byte string: one length byte (`0..=255`), then that many bytes (or what is left).
pub fn short_bytes<'a>(u: &mut Unstructured<'a>) -> &'a [u8] {
    let n = byte(u) as usize;
    bytes(u, n)
}

/// A length-prefixed UTF-16 string: one length byte (units), then two bytes per unit, little-endian.
pub fn short_units(u: &mut Unstructured<'_>) -> Vec<u16> {
    let n = byte(u) as usize;
    bytes(u, n * 2).chunks(2).map(|c| u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)])).collect()
}

/// Writes a [`short_bytes`] field (at most 255 bytes are kept).
pub fn put_short_bytes(out: &mut Vec<u8>, b: &[u8]) {
    let b = &b[..b.len().min(255)];
    out.push(b.len() as u8);
    out.extend_from_slice(b);
}

/// Writes a [`short_units`] field (at most 255 units are kept).
pub fn put_short_units(out: &mut Vec<u8>, units: &[u16]) {
    let units = &units[..units.len().min(255)];
    out.push(units.len() as u8);
    for u in units {
        out.extend_from_slice(&u.to_le_bytes());
    }
}
