//! The project's main command: runs the fixed suite (every baseline in the same
//! run) and prints one table of throughput, ratios and heap allocations per
//! operation.
//!
//! ```text
//! cargo run --release -p marshal-benches --bin report [-- --json] [--filter TEXT] [--quick]
//! ```

use std::collections::HashMap;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use marshal_benches::measure::{measure, CountingAlloc, Stats};
use marshal_benches::suite::{cases, Case};
use serde_json::json;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

struct Options {
    json: bool,
    filter: Option<String>,
    budget: Duration,
    mono: bool,
}

/// The C# program that times Mono's marshaler on the same inputs.
const MONO_BASELINE_CS: &str = include_str!("../../mono/MonoBaseline.cs");

/// Runs Mono's marshaler on the report's inputs when `mono` and `mcs` are installed:
/// (conversion, input) → median ns per operation, or why it was skipped.
fn mono_baselines(budget: Duration) -> Result<HashMap<(String, String), f64>, String> {
    let have = |cmd: &str| Command::new(cmd).arg("--version").output().is_ok_and(|o| o.status.success());
    if !have("mono") || !have("mcs") {
        return Err("Mono not installed (apt-get install mono-runtime mono-mcs to compare with it)".into());
    }
    let dir = std::env::temp_dir().join(format!("marshal-report-mono-{}", std::process::id()));
    let texts = dir.join("texts");
    std::fs::create_dir_all(&texts).map_err(|e| e.to_string())?;
    for (name, text) in marshal_benches::suite_strings::inputs() {
        std::fs::write(texts.join(format!("{name}.txt")), text).map_err(|e| e.to_string())?;
    }
    let src = dir.join("MonoBaseline.cs");
    let exe = dir.join("MonoBaseline.exe");
    std::fs::write(&src, MONO_BASELINE_CS).map_err(|e| e.to_string())?;
    let built = Command::new("mcs").arg("-nologo").arg(format!("-out:{}", exe.display())).arg(&src).output();
    if !built.as_ref().is_ok_and(|o| o.status.success()) {
        return Err("mcs could not build the Mono baseline".into());
    }
    let out = Command::new("mono")
        .arg(&exe)
        .arg(&texts)
        .arg(budget.as_millis().to_string())
        .output()
        .map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return Err(format!(
            "the Mono baseline failed: {}",
            String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("")
        ));
    }
    let mut m = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((key, ns)) = line.split_once('\t') else { continue };
        let Some((conversion, input)) = key.split_once('|') else { continue };
        if let Ok(ns) = ns.parse::<f64>() {
            m.insert((conversion.to_string(), input.to_string()), ns);
        }
    }
    Ok(m)
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options { json: false, filter: None, budget: Duration::from_millis(300), mono: true };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => o.json = true,
            "--quick" => o.budget = Duration::from_millis(60),
            "--no-mono" => o.mono = false,
            "--filter" => o.filter = Some(args.next().ok_or("--filter needs a value")?),
            "-h" | "--help" => {
                println!("usage: report [--json] [--filter TEXT] [--quick] [--no-mono]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

fn throughput(s: &Stats, c: &Case) -> String {
    if let Some(b) = c.bytes {
        format!("{:.2} GB/s", b as f64 / s.median_ns)
    } else if let Some(e) = c.elements {
        format!("{:.1} M/s", e as f64 * 1e3 / s.median_ns)
    } else {
        String::new()
    }
}

fn time(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn main() {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("report: {e}");
            std::process::exit(2);
        }
    };
    let all: Vec<Case> = cases()
        .into_iter()
        .filter(|c| {
            opts.filter.as_ref().is_none_or(|f| c.conversion.contains(f.as_str()) || c.input.contains(f.as_str()))
        })
        .collect();
    let n = all.len();
    let started = Instant::now();
    let mono = if opts.mono {
        eprint!("Mono baseline: running…");
        let _ = std::io::stderr().flush();
        let r = mono_baselines(opts.budget);
        eprintln!(
            "\rMono baseline: {}",
            r.as_ref().map_or_else(|e| e.clone(), |m| format!("{} operations measured", m.len()))
        );
        r
    } else {
        Err("Mono comparison disabled (--no-mono)".into())
    };
    let mut rows = Vec::new();
    for (i, mut c) in all.into_iter().enumerate() {
        eprint!("\r[{}/{n}] {} {}{}", i + 1, c.conversion, c.input, " ".repeat(20));
        let _ = std::io::stderr().flush();
        let ours = measure(opts.budget, &mut c.ours);
        let mut baselines: Vec<(&str, Stats)> =
            c.baselines.iter_mut().map(|(name, op)| (*name, measure(opts.budget, op))).collect();
        if let Some(ns) = mono.as_ref().ok().and_then(|m| m.get(&(c.conversion.to_string(), c.input.clone()))) {
            baselines.push(("Mono", Stats { median_ns: *ns, allocs_per_op: f64::NAN }));
        }
        let memcpy = c.memcpy.as_mut().map(|op| measure(opts.budget, op));
        rows.push((c, ours, baselines, memcpy));
    }
    eprintln!("\r{} cases in {:.1} s{}", n, started.elapsed().as_secs_f64(), " ".repeat(40));

    if opts.json {
        let out: Vec<_> = rows
            .iter()
            .map(|(c, ours, baselines, memcpy)| {
                json!({
                    "conversion": c.conversion,
                    "input": c.input,
                    "bytes": c.bytes,
                    "elements": c.elements,
                    "ours_ns": ours.median_ns,
                    "ours_allocs_per_op": ours.allocs_per_op,
                    "baselines": baselines.iter().map(|(n, s)| json!({"name": n, "ns": s.median_ns})).collect::<Vec<_>>(),
                    "memcpy_ns": memcpy.map(|m| m.median_ns),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out).expect("serialisable"));
        return;
    }

    println!("Medians of repeated timed batches per operation (this machine, this run); ratios are speed:");
    if let Err(why) = &mono {
        println!("Mono baselines: {why}.");
    } else {
        println!(
            "Mono baselines: Mono's marshaler on the same inputs, run from this report (benches/mono/MonoBaseline.cs)."
        );
    }
    println!("ours ÷ best baseline > 1 means the engine is faster; ours ÷ memcpy is the share of the copy ceiling.\n");
    println!(
        "| {:<18} | {:<34} | {:>22} | {:<40} | {:>9} | {:>9} | {:>7} |",
        "conversion", "input", "ours", "baselines", "vs best", "vs memcpy", "allocs"
    );
    println!("|{:-<20}|{:-<36}|{:-<24}|{:-<42}|{:-<11}|{:-<11}|{:-<9}|", "", "", "", "", "", "", "");
    for (c, ours, baselines, memcpy) in &rows {
        let ours_txt = format!("{} {}", time(ours.median_ns), throughput(ours, c));
        let mut base_txt: Vec<String> = baselines.iter().map(|(n, s)| format!("{n} {}", time(s.median_ns))).collect();
        if let Some(m) = memcpy {
            base_txt.push(format!("memcpy {}", time(m.median_ns)));
        }
        let best = baselines.iter().map(|(_, s)| s.median_ns).fold(f64::INFINITY, f64::min);
        let vs_best = if best.is_finite() { format!("{:.2}×", best / ours.median_ns) } else { "—".into() };
        let vs_memcpy = memcpy.map_or("—".into(), |m| format!("{:.2}×", m.median_ns / ours.median_ns));
        println!(
            "| {:<18} | {:<34} | {:>22} | {:<40} | {:>9} | {:>9} | {:>7.2} |",
            c.conversion,
            c.input,
            ours_txt,
            base_txt.join(", "),
            vs_best,
            vs_memcpy,
            ours.allocs_per_op
        );
    }
}
