//! The MSFT format: what MIDL, widl and `ICreateTypeLib2` write.
//!
//! Layout (all little-endian): a 0x54-byte header; an optional help-DLL string offset; one offset per type info;
//! a directory of 15 segments (offset, length, two reserved words); then the segments: the type info table
//! (0x64 bytes per type), imported-type table, imported-file table, reference table (coclass implementations),
//! GUID table, name table, string table, type description table, array descriptions, custom data (values), and the
//! custom-data directory. Each type's members sit in a block at the type's `memoffset`: the member records, then the
//! member ids, the name offsets and the record offsets.

mod read;
mod write;

pub(crate) use read::read;
pub use write::write;

/// `"MSFT"`.
pub const MAGIC: u32 = 0x5446_534D;
/// Size of the fixed header.
pub(crate) const HEADER_SIZE: usize = 0x54;
/// Size of one type info table entry.
pub(crate) const TYPEINFO_SIZE: usize = 0x64;
/// Number of segments in the directory.
pub(crate) const SEGMENTS: usize = 15;
/// Header `varflags` bit: a help-string DLL offset follows the header.
pub(crate) const HELPDLL_FLAG: u32 = 0x100;
/// Header `varflags` bit: a help file is named.
pub(crate) const HELPFILE_FLAG: u32 = 0x10;

/// Segment numbers in the directory.
#[allow(dead_code)]
pub(crate) mod seg {
    pub const TYPEINFO: usize = 0;
    pub const IMPINFO: usize = 1;
    pub const IMPFILES: usize = 2;
    pub const REFTAB: usize = 3;
    pub const GUIDHASH: usize = 4;
    pub const GUIDTAB: usize = 5;
    pub const NAMEHASH: usize = 6;
    pub const NAMETAB: usize = 7;
    pub const STRINGTAB: usize = 8;
    pub const TYPDESC: usize = 9;
    pub const ARRAYDESC: usize = 10;
    pub const CUSTDATA: usize = 11;
    pub const CDGUIDS: usize = 12;
    pub const RES_E: usize = 13;
    pub const RES_F: usize = 14;
}

/// `FKCCIC` bits of a function record.
pub(crate) mod fkccic {
    /// Custom data offsets follow the fixed fields.
    pub const CUSTDATA: u32 = 0x80;
    /// Default values (one offset per parameter) precede the parameter records.
    pub const DEFAULTS: u32 = 0x1000;
    /// `oEntry` is an ordinal, not a string offset.
    pub const ENTRY_IS_ORDINAL: u32 = 0x2000;
}
