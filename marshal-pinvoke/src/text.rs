//! Text conversions at the boundary: UTF-16 (the managed form) to and from the
//! native encodings. "ANSI" on Unix is UTF-8, as on CoreCLR; a lone surrogate
//! becomes U+FFFD (EF BF BD) on the way out and invalid UTF-8 becomes U+FFFD on
//! the way in (CoreCLR's behaviour; it ignores ThrowOnUnmappableChar on Unix).

/// UTF-8 bytes of UTF-16 units, lone surrogates replaced by U+FFFD.
pub(crate) fn utf16_to_utf8(units: &[u16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(units.len() + units.len() / 2 + 1);
    let mut buf = [0u8; 4];
    for c in char::decode_utf16(units.iter().copied()) {
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    out
}

/// UTF-16 units of UTF-8 bytes, invalid sequences replaced by U+FFFD.
pub(crate) fn utf8_to_utf16(bytes: &[u8]) -> Vec<u16> {
    String::from_utf8_lossy(bytes).encode_utf16().collect()
}

/// The single byte an ANSI `char` becomes: the first byte of its UTF-8 form.
pub(crate) fn ansi_char_byte(unit: u16) -> u8 {
    utf16_to_utf8(&[unit])[0]
}

/// The `char` an ANSI byte reads back as (a lone lead byte is U+FFFD).
pub(crate) fn ansi_byte_char(b: u8) -> u16 {
    utf8_to_utf16(&[b])[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(utf16_to_utf8(&[0x61, 0xd800, 0x62]), b"a\xef\xbf\xbdb");
        assert_eq!(ansi_char_byte(0xe9), 0xc3);
        assert_eq!(ansi_byte_char(0x41), 0x41);
        assert_eq!(ansi_byte_char(0xc4), 0xfffd);
    }

    proptest! {
        #[test]
        fn well_formed_text_round_trips(s in ".*") {
            let units: Vec<u16> = s.encode_utf16().collect();
            prop_assert_eq!(utf8_to_utf16(&utf16_to_utf8(&units)), units.clone());
            prop_assert_eq!(utf16_to_utf8(&units), s.as_bytes().to_vec());
        }
    }
}
