//! The project's main command: runs the fixed suite (every baseline in the same
//! run) and prints one table of throughput, ratios and heap allocations per
//! operation.
//!
//! ```text
//! cargo run --release -p marshal-benches --bin report [-- --json] [--filter TEXT] [--quick]
//! ```

use std::io::Write;
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
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options { json: false, filter: None, budget: Duration::from_millis(300) };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => o.json = true,
            "--quick" => o.budget = Duration::from_millis(60),
            "--filter" => o.filter = Some(args.next().ok_or("--filter needs a value")?),
            "-h" | "--help" => {
                println!("usage: report [--json] [--filter TEXT] [--quick]");
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
    let mut rows = Vec::new();
    for (i, mut c) in all.into_iter().enumerate() {
        eprint!("\r[{}/{n}] {} {}{}", i + 1, c.conversion, c.input, " ".repeat(20));
        let _ = std::io::stderr().flush();
        let ours = measure(opts.budget, &mut c.ours);
        let baselines: Vec<(&str, Stats)> =
            c.baselines.iter_mut().map(|(name, op)| (*name, measure(opts.budget, op))).collect();
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
