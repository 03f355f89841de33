//! Replays every checked-in seed (`fuzz/corpus/<target>/`) and every kept crash (`fuzz/regressions/<target>/`)
//! through the target's body: the fuzzers' invariants hold on all of them, on stable, in `cargo test`.

use std::path::PathBuf;

use marshal_fuzz_harness::targets;

/// Runs every file; returns how many ran, panicking at the end with the list of those that failed.
fn replay(dir: &str) -> usize {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut count = 0;
    let mut failed = Vec::new();
    let Ok(targets_dirs) = std::fs::read_dir(&root) else { return 0 };
    for t in targets_dirs.filter_map(Result::ok) {
        let name = t.file_name().to_string_lossy().into_owned();
        let Some(run) = targets::by_name(&name) else { continue };
        let mut files: Vec<_> = std::fs::read_dir(t.path()).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for f in files {
            if f.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            let data = std::fs::read(&f).unwrap();
            if std::panic::catch_unwind(|| run(&data)).is_err() {
                failed.push(f.display().to_string());
            }
            count += 1;
        }
    }
    assert!(failed.is_empty(), "{} of {count} inputs failed:\n{}", failed.len(), failed.join("\n"));
    count
}

#[test]
fn seed_corpora_hold_every_invariant() {
    let n = replay("corpus");
    assert!(n > 0, "no seeds found under fuzz/corpus");
}

#[test]
fn kept_crashes_stay_fixed() {
    replay("regressions");
}

#[test]
fn every_target_survives_trivial_inputs() {
    for (_, run) in targets::ALL {
        run(&[]);
        run(&[0]);
        run(&[0xFF; 64]);
        run(&(0u8..=255).collect::<Vec<_>>());
    }
}
