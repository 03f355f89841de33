//! "ANSI": the system code page. On Unix and macOS the CLR's ANSI is UTF-8; on Windows it
//! is the system code page (`CP_ACP`). Explicit Windows code pages go through
//! encoding_rs, with the CLR's `BestFitMapping` and `ThrowOnUnmappableChar` options.

use encoding_rs::{CoderResult, EncoderResult, Encoding};

use super::error::StringError;
use super::transcode::{self, InvalidUtf8};

/// An ANSI code page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodePage {
    /// UTF-8 (code page 65001): the CLR's ANSI on Unix. Lone surrogates become U+FFFD and
    /// `ThrowOnUnmappableChar` has no effect (CoreCLR on Unix ignores it too).
    Utf8,
    /// A Windows code page (874, 932, 936, 949, 950, 1250–1258).
    Windows {
        /// The code page number.
        number: u16,
        /// Its encoding.
        encoding: &'static Encoding,
    },
}

impl CodePage {
    /// The system's ANSI code page: `GetACP()` on Windows, UTF-8 elsewhere.
    pub fn system() -> CodePage {
        #[cfg(windows)]
        {
            #[link(name = "kernel32")]
            extern "system" {
                fn GetACP() -> u32;
            }
            // SAFETY: GetACP has no preconditions.
            let acp = unsafe { GetACP() };
            CodePage::from_number(acp).unwrap_or(CodePage::Utf8)
        }
        #[cfg(not(windows))]
        {
            CodePage::Utf8
        }
    }

    /// The code page with this Windows number.
    ///
    /// ```
    /// use marshal_core::strings::CodePage;
    /// assert_eq!(CodePage::from_number(1252).unwrap().number(), 1252);
    /// assert_eq!(CodePage::from_number(65001).unwrap(), CodePage::Utf8);
    /// assert!(CodePage::from_number(37).is_err()); // EBCDIC is not carried
    /// ```
    pub fn from_number(number: u32) -> Result<CodePage, StringError> {
        let encoding = match number {
            65001 => return Ok(CodePage::Utf8),
            874 => encoding_rs::WINDOWS_874,
            932 => encoding_rs::SHIFT_JIS,
            936 => encoding_rs::GBK,
            949 => encoding_rs::EUC_KR,
            950 => encoding_rs::BIG5,
            1250 => encoding_rs::WINDOWS_1250,
            1251 => encoding_rs::WINDOWS_1251,
            1252 => encoding_rs::WINDOWS_1252,
            1253 => encoding_rs::WINDOWS_1253,
            1254 => encoding_rs::WINDOWS_1254,
            1255 => encoding_rs::WINDOWS_1255,
            1256 => encoding_rs::WINDOWS_1256,
            1257 => encoding_rs::WINDOWS_1257,
            1258 => encoding_rs::WINDOWS_1258,
            _ => return Err(StringError::UnsupportedCodePage(number)),
        };
        Ok(CodePage::Windows { number: number as u16, encoding })
    }

    /// The code page number (65001 for UTF-8).
    pub fn number(&self) -> u32 {
        match self {
            CodePage::Utf8 => 65001,
            CodePage::Windows { number, .. } => u32::from(*number),
        }
    }

    /// Most bytes one UTF-16 unit can take (`Marshal.SystemMaxDBCSCharSize`; 3 for UTF-8).
    pub fn max_bytes_per_unit(&self) -> usize {
        match self {
            CodePage::Utf8 => 3,
            CodePage::Windows { number: 932 | 936 | 949 | 950, .. } => 2,
            CodePage::Windows { .. } => 1,
        }
    }
}

impl Default for CodePage {
    fn default() -> CodePage {
        CodePage::system()
    }
}

/// How UTF-16 becomes ANSI bytes: the code page and the CLR's two options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AnsiOptions {
    /// The code page (default: [`CodePage::system`]).
    pub code_page: CodePage,
    /// `BestFitMapping` (CLR default `true`): an unmappable character may become a
    /// look-alike. This engine's table covers the ASCII look-alikes (fullwidth forms,
    /// division / fraction slashes, set minus, modifier quotes) — the mappings that turn
    /// text into path separators or quotes; every other unmappable character becomes `?`.
    pub best_fit: bool,
    /// `ThrowOnUnmappableChar` (CLR default `false`): fail instead of writing `?`.
    /// Ignored for UTF-8, as CoreCLR on Unix ignores it.
    pub throw_on_unmappable: bool,
}

impl Default for AnsiOptions {
    fn default() -> AnsiOptions {
        AnsiOptions { code_page: CodePage::system(), best_fit: true, throw_on_unmappable: false }
    }
}

impl AnsiOptions {
    /// UTF-8 with the CLR's default flags: the ANSI of CoreCLR on Unix.
    pub const UTF8: AnsiOptions = AnsiOptions { code_page: CodePage::Utf8, best_fit: true, throw_on_unmappable: false };

    /// A Windows code page with the CLR's default flags.
    pub fn code_page(number: u32) -> Result<AnsiOptions, StringError> {
        Ok(AnsiOptions { code_page: CodePage::from_number(number)?, ..AnsiOptions::UTF8 })
    }
}

/// The look-alike table of [`AnsiOptions::best_fit`]: ASCII characters that a Windows
/// best-fit table maps these to.
fn best_fit_ascii(c: char) -> Option<u8> {
    let u = c as u32;
    match u {
        0xFF01..=0xFF5E => Some((u - 0xFF01 + 0x21) as u8), // fullwidth ASCII forms
        0x2215 | 0x2044 => Some(b'/'),                      // division slash, fraction slash
        0x2216 => Some(b'\\'),                              // set minus
        0x02BA | 0x02DD | 0x201C | 0x201D | 0x201E => Some(b'"'),
        0x02B9 | 0x02BC | 0x2018 | 0x2019 | 0x201A | 0x2032 => Some(b'\''),
        0x02C6 | 0x2038 => Some(b'^'),
        0x02DC | 0x223C => Some(b'~'),
        0x2010 | 0x2011 | 0x2013 | 0x2014 | 0x2212 => Some(b'-'),
        0x00A0 | 0x2000..=0x200A | 0x3000 => Some(b' '),
        _ => None,
    }
}

/// Appends the ANSI bytes of `src` (no terminator) to `out`.
///
/// ```
/// use marshal_core::strings::{encode_ansi, AnsiOptions};
/// let mut out = Vec::new();
/// encode_ansi(&[0x20AC, 0x41, 0x0100], &AnsiOptions::code_page(1252).unwrap(), &mut out).unwrap();
/// assert_eq!(out, [0x80, 0x41, b'?']); // € is 0x80 in 1252, Ā has no mapping
/// ```
pub fn encode_ansi(src: &[u16], opts: &AnsiOptions, out: &mut Vec<u8>) -> Result<(), StringError> {
    let encoding = match opts.code_page {
        CodePage::Utf8 => {
            let v = transcode::utf16_to_utf8_vec(src, 0);
            if out.is_empty() {
                *out = v;
            } else {
                out.extend_from_slice(&v);
            }
            return Ok(());
        }
        CodePage::Windows { encoding, .. } => encoding,
    };
    let mut encoder = encoding.new_encoder();
    let start = out.len();
    let max = encoder.max_buffer_length_from_utf16_without_replacement(src.len()).ok_or(StringError::OutOfMemory)?;
    out.resize(start + max, 0);
    let mut read_total = 0;
    let mut written_total = start;
    loop {
        let (result, read, written) =
            encoder.encode_from_utf16_without_replacement(&src[read_total..], &mut out[written_total..], true);
        read_total += read;
        written_total += written;
        match result {
            EncoderResult::InputEmpty => break,
            EncoderResult::OutputFull => {
                // Cannot happen with the maximal buffer; grow defensively rather than loop.
                let more = out.len() + 16;
                out.resize(more, 0);
            }
            EncoderResult::Unmappable(ch) => {
                let index = read_total - ch.len_utf16().min(read_total);
                if opts.throw_on_unmappable {
                    out.truncate(start);
                    return Err(StringError::Unmappable { index, ch });
                }
                let substitute = if opts.best_fit { best_fit_ascii(ch).unwrap_or(b'?') } else { b'?' };
                if written_total == out.len() {
                    out.push(0);
                }
                out[written_total] = substitute;
                written_total += 1;
            }
        }
    }
    out.truncate(written_total);
    Ok(())
}

/// ANSI bytes (no terminator) → UTF-16. UTF-8 follows `invalid`; Windows code pages
/// replace undecodable bytes with U+FFFD.
#[inline]
pub fn decode_ansi(src: &[u8], code_page: CodePage, invalid: InvalidUtf8) -> Result<Vec<u16>, StringError> {
    match code_page {
        CodePage::Utf8 => Ok(transcode::utf8_to_utf16(src, invalid)?),
        CodePage::Windows { encoding, .. } => {
            let mut decoder = encoding.new_decoder_without_bom_handling();
            let max = decoder.max_utf16_buffer_length(src.len()).ok_or(StringError::OutOfMemory)?;
            let mut out = vec![0u16; max];
            let (result, _read, written, _replaced) = decoder.decode_to_utf16(src, &mut out, true);
            debug_assert_eq!(result, CoderResult::InputEmpty);
            out.truncate(written);
            Ok(out)
        }
    }
}

/// One UTF-16 unit as a 1-byte ANSI `char`: on UTF-8, the first byte of its encoding
/// (CoreCLR on Unix; a lone surrogate gives 0xEF, the first byte of U+FFFD).
pub fn encode_ansi_char(unit: u16, opts: &AnsiOptions) -> Result<u8, StringError> {
    let mut out = Vec::with_capacity(4);
    encode_ansi(&[unit], opts, &mut out)?;
    Ok(out.first().copied().unwrap_or(0))
}

/// A 1-byte ANSI `char` back to UTF-16: ASCII as is; on UTF-8 a lone non-ASCII byte is
/// U+FFFD (CoreCLR on Unix).
pub fn decode_ansi_char(byte: u8, code_page: CodePage) -> u16 {
    match code_page {
        CodePage::Utf8 if byte < 0x80 => u16::from(byte),
        CodePage::Utf8 => 0xFFFD,
        CodePage::Windows { .. } => decode_ansi(&[byte], code_page, InvalidUtf8::Replace)
            .ok()
            .and_then(|v| v.first().copied())
            .unwrap_or(0xFFFD),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn cp1252_round_trip_and_unmappable_rules() {
        let mut opts = AnsiOptions::code_page(1252).unwrap();
        let mut out = Vec::new();
        // Bytes from the published cp1252 table: € 0x80, “ 0x93, ™ 0x99, Œ 0x8C, é 0xE9.
        encode_ansi(&w("€“™Œé"), &opts, &mut out).unwrap();
        assert_eq!(out, [0x80, 0x93, 0x99, 0x8C, 0xE9]);
        assert_eq!(decode_ansi(&out, opts.code_page, InvalidUtf8::Replace).unwrap(), w("€“™Œé"));

        // Fullwidth solidus: best fit gives '/', without it '?', throwing names the index.
        out.clear();
        encode_ansi(&w("a\u{FF0F}b"), &opts, &mut out).unwrap();
        assert_eq!(out, b"a/b");
        opts.best_fit = false;
        out.clear();
        encode_ansi(&w("a\u{FF0F}b"), &opts, &mut out).unwrap();
        assert_eq!(out, b"a?b");
        opts.throw_on_unmappable = true;
        assert_eq!(
            encode_ansi(&w("ab\u{4E2D}"), &opts, &mut out),
            Err(StringError::Unmappable { index: 2, ch: '\u{4E2D}' })
        );
        // A lone surrogate is unmappable in a legacy code page.
        opts.throw_on_unmappable = false;
        out.clear();
        encode_ansi(&[0x61, 0xD800], &opts, &mut out).unwrap();
        assert_eq!(out, b"a?");
    }

    #[test]
    fn dbcs_code_pages() {
        let opts = AnsiOptions::code_page(932).unwrap();
        let mut out = Vec::new();
        // 日本 in Shift_JIS: 93 FA 96 7B (JIS X 0208 row/cell 38-92 and 43-60).
        encode_ansi(&w("日本"), &opts, &mut out).unwrap();
        assert_eq!(out, [0x93, 0xFA, 0x96, 0x7B]);
        assert_eq!(decode_ansi(&out, opts.code_page, InvalidUtf8::Replace).unwrap(), w("日本"));
        assert_eq!(opts.code_page.max_bytes_per_unit(), 2);
    }

    #[test]
    fn utf8_ansi_ignores_throw_and_replaces_surrogates() {
        let opts = AnsiOptions { throw_on_unmappable: true, ..AnsiOptions::UTF8 };
        let mut out = Vec::new();
        encode_ansi(&[0x61, 0xDE00, 0x62], &opts, &mut out).unwrap();
        assert_eq!(out, b"a\xEF\xBF\xBDb");
        assert_eq!(encode_ansi_char(0xE9, &opts).unwrap(), 0xC3);
        assert_eq!(encode_ansi_char(0xD800, &opts).unwrap(), 0xEF);
        assert_eq!(decode_ansi_char(0xC3, CodePage::Utf8), 0xFFFD);
        assert_eq!(decode_ansi_char(0x41, CodePage::Utf8), 0x41);
        assert_eq!(decode_ansi_char(0x80, CodePage::from_number(1252).unwrap()), 0x20AC);
    }
}
