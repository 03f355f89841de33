//! The SLTG format: what `ICreateTypeLib` (the first one) writes, still found in old Office and VB6 libraries.
//!
//! Layout (little-endian, byte-packed): a 0x24-byte header; a table of block entries (length, index-string offset,
//! next); the `\x01CompObj\0dir\0` magic; one 11-byte index string per type; 9 zero bytes; then the blocks in the
//! order the entries chain them: one per type, the library block last. The library block holds the library
//! attributes, one "other type info" record per type (name, GUID, help context) and, after 0x218 bytes, the name
//! table (NUL-terminated names addressed by offset). A type block is a header, an optional reference table (the
//! types this one refers to, as `*\R<lib>*#<index>` strings), a member header, the member data (implemented
//! interfaces, functions, variables, type descriptions) and a tail (counts, offsets into the member data, sizes).
//!
//! SLTG carries less than MSFT: no custom data, no documentation strings of types and members, no default values,
//! no DLL entries, constants only of integer or string type (they load as `VT_INT` / `VT_BSTR`), at most 31
//! parameters. The reader reports what `LoadTypeLib` reports for those; the writer refuses what it cannot store.

mod read;
mod write;

pub(crate) use read::read;
pub use write::write;

/// `"SLTG"`.
pub const MAGIC: u32 = 0x4754_4C53;
pub(crate) const HEADER_SIZE: usize = 0x24;
pub(crate) const BLOCK_ENTRY_SIZE: usize = 8;
pub(crate) const COMPOBJ_MAGIC: &[u8; 13] = b"\x01CompObj\0dir\0";
pub(crate) const INDEX_SIZE: usize = 11;
pub(crate) const LIBBLK_MAGIC: u16 = 0x51CC;
pub(crate) const TIHEADER_MAGIC: u16 = 0x0501;
pub(crate) const TIHEADER_SIZE: usize = 0x22;
pub(crate) const MEMBER_HEADER_SIZE: usize = 9;
pub(crate) const TAIL_SIZE: usize = 0x36;
pub(crate) const IMPL_MAGIC: u16 = 0x004A;
pub(crate) const IMPL_SIZE: usize = 0x16;
pub(crate) const REF_MAGIC: u8 = 0xDF;
pub(crate) const FUNC_MAGIC: u8 = 0x4C;
pub(crate) const DISPATCH_FUNC_MAGIC: u8 = 0xCB;
pub(crate) const STATIC_FUNC_MAGIC: u8 = 0x8B;
pub(crate) const FUNC_FLAGS_PRESENT: u8 = 0x20;
pub(crate) const VAR_MAGIC: u8 = 0x0A;
pub(crate) const VAR_WITH_FLAGS_MAGIC: u8 = 0x2A;
/// Bytes from the name-table pointer to the name table itself (after the word 0xFFFF that starts them).
pub(crate) const NAME_TABLE_SKIP: usize = 0x218;
/// `{00020430-0000-0000-C000-000000000046}`: stdole2's LIBID; its type 4 is IDispatch.
pub(crate) const STDOLE_GUID: marshal_core::Guid =
    marshal_core::Guid::from_u128(0x00020430_0000_0000_c000_000000000046);
