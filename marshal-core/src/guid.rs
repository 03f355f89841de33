//! `GUID`: the 16-byte identifier of COM interfaces, classes and type libraries.

use core::fmt;
use core::str::FromStr;

/// A `GUID` with the native layout `{u32 Data1; u16 Data2; u16 Data3; u8 Data4[8]}`
/// (16 bytes, alignment 4), the same bytes as .NET's `System.Guid`.
///
/// ```
/// use marshal_core::Guid;
/// const IID_IUNKNOWN: Guid = Guid::from_u128(0x00000000_0000_0000_c000_000000000046);
/// let parsed: Guid = "{00000000-0000-0000-C000-000000000046}".parse().unwrap();
/// assert_eq!(parsed, IID_IUNKNOWN);
/// assert_eq!(IID_IUNKNOWN.to_string(), "{00000000-0000-0000-C000-000000000046}");
/// ```
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Guid {
    /// First 4 bytes, stored little-endian in memory on every supported target.
    pub data1: u32,
    /// Next 2 bytes.
    pub data2: u16,
    /// Next 2 bytes.
    pub data3: u16,
    /// Last 8 bytes, in the order written in the registry form.
    pub data4: [u8; 8],
}

const _: () = assert!(core::mem::size_of::<Guid>() == 16 && core::mem::align_of::<Guid>() == 4);

impl Guid {
    /// The all-zero GUID (`GUID_NULL`).
    pub const NULL: Guid = Guid::from_u128(0);

    /// A GUID from its registry form read as one 128-bit number
    /// (`0x00020400_0000_0000_c000_000000000046` is IDispatch).
    pub const fn from_u128(v: u128) -> Guid {
        Guid {
            data1: (v >> 96) as u32,
            data2: (v >> 80) as u16,
            data3: (v >> 64) as u16,
            data4: (v as u64).to_be_bytes(),
        }
    }

    /// The registry form as one 128-bit number (inverse of [`Guid::from_u128`]).
    pub const fn to_u128(&self) -> u128 {
        ((self.data1 as u128) << 96)
            | ((self.data2 as u128) << 80)
            | ((self.data3 as u128) << 64)
            | (u64::from_be_bytes(self.data4) as u128)
    }

    /// The 16 bytes as they lie in memory (Data1..3 little-endian).
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[0..4].copy_from_slice(&self.data1.to_le_bytes());
        out[4..6].copy_from_slice(&self.data2.to_le_bytes());
        out[6..8].copy_from_slice(&self.data3.to_le_bytes());
        out[8..16].copy_from_slice(&self.data4);
        out
    }

    /// A GUID from the 16 bytes as they lie in memory.
    pub fn from_bytes(b: [u8; 16]) -> Guid {
        Guid {
            data1: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            data2: u16::from_le_bytes([b[4], b[5]]),
            data3: u16::from_le_bytes([b[6], b[7]]),
            data4: [b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]],
        }
    }
}

/// Why a string is not a GUID in registry form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuidParseError;

impl fmt::Display for GuidParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a GUID of the form {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}")
    }
}

impl std::error::Error for GuidParseError {}

impl FromStr for Guid {
    type Err = GuidParseError;

    /// Parses `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`; the braces are optional,
    /// hex digits of either case.
    fn from_str(s: &str) -> Result<Guid, GuidParseError> {
        let inner = match (s.strip_prefix('{'), s.strip_suffix('}')) {
            (Some(_), Some(_)) => &s[1..s.len() - 1],
            (None, None) => s,
            _ => return Err(GuidParseError),
        };
        let b = inner.as_bytes();
        if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
            return Err(GuidParseError);
        }
        let mut v: u128 = 0;
        for (i, &c) in b.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                continue;
            }
            let d = (c as char).to_digit(16).ok_or(GuidParseError)?;
            v = (v << 4) | d as u128;
        }
        Ok(Guid::from_u128(v))
    }
}

impl fmt::Display for Guid {
    /// The registry form with braces and upper-case digits, as `StringFromGUID2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d4 = &self.data4;
        write!(
            f,
            "{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
            self.data1, self.data2, self.data3, d4[0], d4[1], d4[2], d4[3], d4[4], d4[5], d4[6], d4[7]
        )
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_bytes_of_idispatch_match_the_windows_sdk_definition() {
        // IID_IDispatch = {00020400-0000-0000-C000-000000000046}; in memory Data1 is little-endian.
        let g: Guid = "00020400-0000-0000-c000-000000000046".parse().unwrap();
        assert_eq!(g.to_bytes(), [0x00, 0x04, 0x02, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46]);
        assert_eq!(Guid::from_bytes(g.to_bytes()), g);
        assert_eq!(g.to_u128(), 0x00020400_0000_0000_c000_000000000046);
    }

    #[test]
    fn malformed_guids_are_rejected() {
        for bad in [
            "",
            "{00020400-0000-0000-C000-000000000046",
            "00020400-0000-0000-C000-00000000004",
            "00020400-0000-0000-C000_000000000046",
            "0002040G-0000-0000-C000-000000000046",
        ] {
            assert_eq!(bad.parse::<Guid>(), Err(GuidParseError), "{bad}");
        }
    }
}
