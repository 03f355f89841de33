//! Writes the seed corpora: `cargo run -p marshal-fuzz-harness --bin make-corpus [VECTORS_DIR [OUT_DIR]]`
//! (defaults: `conformance/vectors` and `fuzz/corpus` of this repository). Existing files are kept; a seed
//! already present (same name = same contents) is not written again.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut args = std::env::args().skip(1);
    let vectors = args.next().map(PathBuf::from).unwrap_or_else(|| root.join("conformance/vectors"));
    let out = args.next().map(PathBuf::from).unwrap_or_else(|| root.join("fuzz/corpus"));
    let v = marshal_fuzz_harness::corpus::Vectors::load(&vectors)?;
    let mut written = 0;
    for (target, seed) in marshal_fuzz_harness::corpus::seeds(&v) {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir)?;
        let name: String = Sha256::digest(&seed).iter().take(8).map(|b| format!("{b:02x}")).collect();
        let path = dir.join(format!("seed-{name}"));
        if !path.exists() {
            std::fs::write(path, &seed)?;
            written += 1;
        }
    }
    println!("{written} new seed files under {}", out.display());
    Ok(())
}
