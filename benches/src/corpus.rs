//! The embedded default corpus: texts in three scripts at three sizes, struct
//! shapes, and array data, shared by the criterion benchmarks and the report.
//!
//! Texts are built by repeating a paragraph until the UTF-16 size is reached
//! (64 B, 4 KiB, 1 MiB of UTF-16, as in `reference/anchors.md`), cut at a
//! character boundary.

/// English prose: ASCII only.
pub const ASCII: &str = "The quick brown fox jumps over the lazy dog while the marshaler copies every byte \
across the boundary, exactly once, and frees what it allocated. ";

/// French and German prose with some Greek and Cyrillic (~9 % non-ASCII).
pub const EURO: &str = "Le cœur déçu mais l'âme plutôt naïve, Louÿs rêva de crapaüter en canoë au delà \
des îles. Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich. Ελληνικά και \
русский текст. ";

/// Chinese and Japanese with some emoji (surrogate pairs).
pub const CJK: &str = "封送处理程序将每个字节跨越边界复制一次，并释放它分配的内容。\
マーシャラーは境界を越えて各バイトを一度だけコピーし、割り当てたものを解放します。😀🎉🚀";

/// The three text kinds with their names.
pub const TEXTS: [(&str, &str); 3] = [("ascii", ASCII), ("euro", EURO), ("cjk", CJK)];

/// The three sizes (UTF-16 bytes) with their names.
pub const SIZES: [(&str, usize); 3] = [("64B", 64), ("4KiB", 4096), ("1MiB", 1 << 20)];

/// `paragraph` repeated to `utf16_bytes` bytes of UTF-16 (never splitting a character).
pub fn text(paragraph: &str, utf16_bytes: usize) -> String {
    let mut out = String::new();
    let mut units = 0;
    'outer: loop {
        for c in paragraph.chars() {
            let n = c.len_utf16() * 2;
            if units + n > utf16_bytes {
                break 'outer;
            }
            out.push(c);
            units += n;
        }
    }
    out
}

/// `text` as UTF-16 units.
pub fn text_utf16(paragraph: &str, utf16_bytes: usize) -> Vec<u16> {
    text(paragraph, utf16_bytes).encode_utf16().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_have_the_requested_utf16_size() {
        for (_, p) in TEXTS {
            for (_, n) in SIZES {
                let t = text_utf16(p, n);
                assert!(t.len() * 2 <= n && t.len() * 2 + 4 > n, "{} vs {n}", t.len() * 2);
            }
        }
    }
}
