//! The project's main command: runs the fixed suite (every baseline in the same
//! run) and prints one table of throughput, ratios and heap allocations per
//! operation.
//!
//! ```text
//! cargo run --release -p marshal-benches --bin report [-- --json] [--filter TEXT] [--quick] [--no-mono] [--no-wine]
//! ```
//!
//! Two external baselines run in the same report when their tools are installed, each a program that times
//! the same operations on the same inputs and prints one `CONVERSION|INPUT <TAB> ns [<TAB> answer]` line per
//! operation, keyed by the report's own (conversion, input) strings: Mono's marshaler
//! (`benches/mono/MonoBaseline.cs`, built with `mcs`) and Wine's oleaut32 (`benches/wine/WineBaseline.c`, built
//! with mingw-w64 and run under `wine64`). Wine's answers are checked against the engine's.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use marshal_benches::measure::{measure, CountingAlloc, Stats};
use marshal_benches::suite::{cases, Case};
use marshal_core::variant::{change_type, Variant, VariantValue};
use marshal_core::Hresult;
use serde_json::json;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

struct Options {
    json: bool,
    filter: Option<String>,
    budget: Duration,
    mono: bool,
    wine: bool,
}

/// A report row's key: (conversion, input).
type Key = (String, String);

/// What an external baseline program measured for one operation.
#[derive(Clone, Debug, PartialEq)]
struct Measured {
    /// Median nanoseconds per operation.
    ns: f64,
    /// The program's result of the operation, when it printed one (Wine's coercions: "BSTR 123456789", …).
    answer: Option<String>,
}

/// An external baseline of the run: its figures by row, or why it did not run.
struct External {
    /// The name shown beside the figures ("Mono", "Wine oleaut32").
    name: &'static str,
    /// The figures, or why there are none.
    measured: Result<HashMap<Key, Measured>, String>,
    /// What it is, for the table's header.
    about: String,
}

/// Parses a baseline program's output: one `CONVERSION|INPUT <TAB> ns [<TAB> answer]` line per operation.
/// Other lines (such as `#wine 8.0`) and lines whose time is not a number are skipped.
fn parse_baseline_lines(text: &str) -> HashMap<Key, Measured> {
    let mut m = HashMap::new();
    for line in text.lines() {
        let mut fields = line.splitn(3, '\t');
        let (Some(key), Some(ns)) = (fields.next(), fields.next()) else { continue };
        let Some((conversion, input)) = key.split_once('|') else { continue };
        let Ok(ns) = ns.trim().parse::<f64>() else { continue };
        let answer = fields.next().map(|a| a.trim_end_matches('\r').to_string());
        m.insert((conversion.to_string(), input.to_string()), Measured { ns, answer });
    }
    m
}

/// Reads a child's pipe to its end on a thread of its own (so that neither pipe can fill and block the child).
fn read_all<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs `cmd` with `input` on its stdin; kills it after `timeout` (a Wine that hangs must not hang the report).
fn run_with_timeout(
    cmd: &mut Command,
    input: Vec<u8>,
    timeout: Duration,
) -> Result<(ExitStatus, String, String), String> {
    let mut child =
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| e.to_string())?;
    let mut stdin = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || {
        // An error means the program exited without reading: its status says why.
        let _ = stdin.write_all(&input);
    });
    let stdout = read_all(child.stdout.take());
    let stderr = read_all(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {} s", timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    Ok((status, stdout.join().unwrap_or_default(), stderr.join().unwrap_or_default()))
}

/// The C# program that times Mono's marshaler on the same inputs.
const MONO_BASELINE_CS: &str = include_str!("../../mono/MonoBaseline.cs");

/// Runs Mono's marshaler on the report's inputs when `mono` and `mcs` are installed:
/// (conversion, input) → median ns per operation, or why it was skipped.
fn mono_baselines(budget: Duration) -> Result<HashMap<Key, Measured>, String> {
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
    Ok(parse_baseline_lines(&String::from_utf8_lossy(&out.stdout)))
}

/// The C program that times Wine's oleaut32 on the same inputs.
const WINE_BASELINE_C: &str = include_str!("../../wine/WineBaseline.c");

/// Wine's loader: `wine64` on the PATH, else where Debian's wine64 package puts it.
fn wine64() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("wine64"));
    on_path.chain([PathBuf::from("/usr/lib/wine/wine64")]).find(|p| p.is_file())
}

/// The report's string inputs as WineBaseline.c reads them on stdin: `NAME \n UTF8_BYTES \n UTF8`.
fn framed_string_inputs() -> Vec<u8> {
    let mut out = Vec::new();
    for (name, text) in marshal_benches::suite_strings::inputs() {
        out.extend_from_slice(format!("{name}\n{}\n", text.len()).as_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    out
}

/// Builds `benches/wine/WineBaseline.c` with mingw-w64 and runs it under wine64 on the report's inputs:
/// (conversion, input) → median ns and oleaut32's answer, plus the Wine version; or why it was skipped.
/// The Wine prefix lives in the temp dir and is kept across runs (creating one takes seconds).
fn wine_baselines(budget: Duration) -> Result<(HashMap<Key, Measured>, String), String> {
    const MINGW: &str = "x86_64-w64-mingw32-gcc";
    let have_mingw = Command::new(MINGW).arg("--version").output().is_ok_and(|o| o.status.success());
    let (Some(wine), true) = (wine64(), have_mingw) else {
        return Err("Wine not installed (apt-get install wine64 gcc-mingw-w64-x86-64 to compare with it)".into());
    };
    let dir = std::env::temp_dir().join(format!("marshal-report-wine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = build_and_run_wine(&wine, MINGW, &dir, budget);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn build_and_run_wine(
    wine: &Path,
    mingw: &str,
    dir: &Path,
    budget: Duration,
) -> Result<(HashMap<Key, Measured>, String), String> {
    let src = dir.join("WineBaseline.c");
    let exe = dir.join("WineBaseline.exe");
    std::fs::write(&src, WINE_BASELINE_C).map_err(|e| e.to_string())?;
    let built = Command::new(mingw).arg("-O2").arg("-o").arg(&exe).arg(&src).arg("-loleaut32").output();
    if !built.as_ref().is_ok_and(|o| o.status.success()) {
        return Err(format!("{mingw} could not build the Wine baseline"));
    }
    let prefix = std::env::temp_dir().join("marshal-report-wineprefix");
    if !prefix.exists() {
        eprintln!("\rWine baseline: creating the Wine prefix {} (first run only)", prefix.display());
        eprint!("Wine baseline: running…");
        let _ = std::io::stderr().flush();
    }
    // Each of the ~15 operations takes about the budget; a first run also creates the prefix.
    let timeout = Duration::from_secs(120) + budget * 30;
    let mut cmd = Command::new(wine);
    cmd.arg(&exe)
        .arg(budget.as_millis().to_string())
        .current_dir(dir)
        .env("WINEPREFIX", &prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        // Wine's user locale follows the Unix one; C.UTF-8 (or C, if absent) is en-US, the engine's locale.
        .env("LC_ALL", "C.UTF-8");
    let ran = run_with_timeout(&mut cmd, framed_string_inputs(), timeout);
    stop_wine_services(wine, &prefix);
    let (status, stdout, stderr) = ran.map_err(|e| format!("the Wine baseline failed: {e}"))?;
    if !status.success() {
        let why = stderr.lines().find(|l| l.starts_with("WineBaseline:")).or_else(|| stderr.lines().last());
        return Err(format!("the Wine baseline failed ({status}): {}", why.unwrap_or("")));
    }
    let version = stdout.lines().find_map(|l| l.strip_prefix("#wine ")).unwrap_or("?").trim().to_string();
    Ok((parse_baseline_lines(&stdout), version))
}

/// Ends the prefix's wineserver and the service processes it started (services.exe, winedevice.exe,
/// explorer.exe …), which otherwise linger for seconds after the program and take CPU from the engine's own
/// measurements that follow (seen: DATE→BSTR 110 ns measured alone, 230 ns right after the Wine baseline).
fn stop_wine_services(wine: &Path, prefix: &Path) {
    let server = ["wineserver", "wineserver64"].iter().map(|n| wine.with_file_name(n)).find(|p| p.is_file());
    if let Some(server) = server {
        // -k ends them; -w returns once the server has gone.
        for flag in ["-k", "-w"] {
            let _ = Command::new(&server).arg(flag).env("WINEPREFIX", prefix).output();
        }
    }
}

/// The engine's answer to a coercion, spelled as WineBaseline.c prints oleaut32's (floats as Rust's shortest
/// round trip: see [`canonical_answer`]).
fn answer_text(result: Result<Variant, Hresult>) -> String {
    let v = match result {
        Ok(v) => v,
        Err(hr) => return format!("hr 0x{:08x}", hr.0 as u32),
    };
    match v.value() {
        VariantValue::Bstr(s) => format!("BSTR {}", String::from_utf16_lossy(s)),
        VariantValue::NullBstr => "BSTR ".into(),
        VariantValue::I4(x) => format!("I4 {x}"),
        VariantValue::R8(x) => format!("R8 {x:?}"),
        VariantValue::Date(d) => format!("DATE {:?}", d.0),
        _ => format!("vt {}", v.vt().0),
    }
}

/// An answer with its float (C's `%.17g` for R8 and DATE) re-spelled as Rust's shortest round trip, so that
/// equal doubles compare equal as text.
fn canonical_answer(answer: &str) -> String {
    if let Some((kind @ ("R8" | "DATE"), number)) = answer.split_once(' ') {
        if let Ok(x) = number.parse::<f64>() {
            return format!("{kind} {x:?}");
        }
    }
    answer.to_string()
}

/// What the engine answers for the rows whose answers the Wine baseline prints: each coercion (our
/// `change_type` of the same source) and each UTF-16→BSTR input (its length in UTF-16 units).
fn engine_answers() -> HashMap<Key, String> {
    let mut m = HashMap::new();
    for (input, src, vt) in marshal_benches::suite_ole::change_type_pairs() {
        m.insert(("VariantChangeType".to_string(), input.to_string()), answer_text(change_type(&src, vt, 0)));
    }
    for (name, text) in marshal_benches::suite_strings::inputs() {
        m.insert(("UTF-16→BSTR".to_string(), name), format!("{} units", text.encode_utf16().count()));
    }
    m
}

/// Rows whose answer in a baseline's lines differs from the engine's (the two must compute the same thing for
/// the comparison to mean anything), as warnings.
fn answer_mismatches(name: &str, measured: &HashMap<Key, Measured>, ours: &HashMap<Key, String>) -> Vec<String> {
    let mut keys: Vec<&Key> = measured.keys().filter(|k| ours.contains_key(*k)).collect();
    keys.sort();
    keys.into_iter()
        .filter_map(|key| {
            let theirs = measured[key].answer.as_deref()?;
            let expected = &ours[key];
            (canonical_answer(theirs) != *expected)
                .then(|| format!("{name} answers \"{theirs}\" for {} {}, the engine \"{expected}\"", key.0, key.1))
        })
        .collect()
}

/// Keys of a baseline's lines that name no row of the suite (the program and the suite drifted apart), as
/// warnings.
fn unknown_rows(name: &str, measured: &HashMap<Key, Measured>, rows: &HashSet<Key>) -> Vec<String> {
    let mut keys: Vec<&Key> = measured.keys().filter(|k| !rows.contains(*k)).collect();
    keys.sort();
    keys.into_iter().map(|(c, i)| format!("{name} measured \"{c}|{i}\", which is no row of the report")).collect()
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options { json: false, filter: None, budget: Duration::from_millis(300), mono: true, wine: true };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => o.json = true,
            "--quick" => o.budget = Duration::from_millis(60),
            "--no-mono" => o.mono = false,
            "--no-wine" => o.wine = false,
            "--filter" => o.filter = Some(args.next().ok_or("--filter needs a value")?),
            "-h" | "--help" => {
                println!("usage: report [--json] [--filter TEXT] [--quick] [--no-mono] [--no-wine]");
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
    let every = cases();
    let row_keys: HashSet<Key> = every.iter().map(|c| (c.conversion.to_string(), c.input.clone())).collect();
    let all: Vec<Case> = every
        .into_iter()
        .filter(|c| {
            opts.filter.as_ref().is_none_or(|f| c.conversion.contains(f.as_str()) || c.input.contains(f.as_str()))
        })
        .collect();
    let n = all.len();
    let started = Instant::now();
    let mut externals = Vec::new();
    let mut warnings = Vec::new();
    if opts.mono {
        eprint!("Mono baseline: running…");
        let _ = std::io::stderr().flush();
        let r = mono_baselines(opts.budget);
        eprintln!(
            "\rMono baseline: {}",
            r.as_ref().map_or_else(|e| e.clone(), |m| format!("{} operations measured", m.len()))
        );
        if let Ok(m) = &r {
            warnings.extend(unknown_rows("Mono", m, &row_keys));
        }
        let about = "Mono's marshaler on the same inputs, run from this report (benches/mono/MonoBaseline.cs)".into();
        externals.push(External { name: "Mono", measured: r, about });
    } else {
        externals.push(External {
            name: "Mono",
            measured: Err("Mono comparison disabled (--no-mono)".into()),
            about: String::new(),
        });
    }
    if opts.wine {
        eprint!("Wine baseline: running…");
        let _ = std::io::stderr().flush();
        let r = wine_baselines(opts.budget);
        eprintln!(
            "\rWine baseline: {}",
            r.as_ref().map_or_else(|e| e.clone(), |(m, v)| format!("{} operations measured (Wine {v})", m.len()))
        );
        let about = match &r {
            Ok((m, version)) => {
                let ours = engine_answers();
                let checked = m.iter().filter(|(k, v)| v.answer.is_some() && ours.contains_key(*k)).count();
                let mismatches = answer_mismatches("Wine oleaut32", m, &ours);
                let answers = if mismatches.is_empty() {
                    format!("its answers on the {checked} rows checked are the engine's")
                } else {
                    format!(
                        "its answers DIFFER from the engine's on {} of {checked} rows (see the warnings)",
                        mismatches.len()
                    )
                };
                warnings.extend(unknown_rows("Wine oleaut32", m, &row_keys));
                warnings.extend(mismatches);
                format!(
                    "Wine {version}'s oleaut32 on the same inputs, run from this report under wine64 \
                     (benches/wine/WineBaseline.c); {answers}"
                )
            }
            Err(_) => String::new(),
        };
        externals.push(External { name: "Wine oleaut32", measured: r.map(|(m, _)| m), about });
    } else {
        externals.push(External {
            name: "Wine oleaut32",
            measured: Err("Wine comparison disabled (--no-wine)".into()),
            about: String::new(),
        });
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let mut rows = Vec::new();
    for (i, mut c) in all.into_iter().enumerate() {
        eprint!("\r[{}/{n}] {} {}{}", i + 1, c.conversion, c.input, " ".repeat(20));
        let _ = std::io::stderr().flush();
        let ours = measure(opts.budget, &mut c.ours);
        let mut baselines: Vec<(&str, Stats)> =
            c.baselines.iter_mut().map(|(name, op)| (*name, measure(opts.budget, op))).collect();
        let key = (c.conversion.to_string(), c.input.clone());
        for external in &externals {
            if let Some(m) = external.measured.as_ref().ok().and_then(|m| m.get(&key)) {
                baselines.push((external.name, Stats { median_ns: m.ns, allocs_per_op: f64::NAN }));
            }
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
    for external in &externals {
        match &external.measured {
            Err(why) => println!("{} baselines: {why}.", external.name),
            Ok(_) => println!("{} baselines: {}.", external.name, external.about),
        }
    }
    for w in &warnings {
        println!("warning: {w}");
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

#[cfg(test)]
mod tests {
    use super::*;
    use marshal_core::VarType;

    fn key(conversion: &str, input: &str) -> Key {
        (conversion.to_string(), input.to_string())
    }

    #[test]
    fn baseline_lines_parse_with_and_without_answers() {
        let out = "#wine 8.0\n\
                   VariantChangeType|I4→BSTR 123456789\t118.25\tBSTR 123456789\r\n\
                   UTF-16→BSTR|4KiB euro\t94\n\
                   SAFEARRAY|1000 × I4 create+put+get+destroy\tnot a number\n\
                   no key here\t12\n\
                   VARIANT create+clear|BSTR of 32 chars\t30.5\t32 units\twith\ttabs\n";
        let m = parse_baseline_lines(out);
        assert_eq!(m.len(), 3, "{m:?}");
        assert_eq!(
            m[&key("VariantChangeType", "I4→BSTR 123456789")],
            Measured { ns: 118.25, answer: Some("BSTR 123456789".into()) }
        );
        assert_eq!(m[&key("UTF-16→BSTR", "4KiB euro")], Measured { ns: 94.0, answer: None });
        // The answer is the rest of the line.
        assert_eq!(m[&key("VARIANT create+clear", "BSTR of 32 chars")].answer.as_deref(), Some("32 units\twith\ttabs"));
    }

    #[test]
    fn c_and_rust_spellings_of_a_double_compare_equal() {
        // 17 significant digits (C's %.17g) against the shortest round trip (Python's repr gives the same).
        assert_eq!(canonical_answer("DATE 45366.573263888888"), "DATE 45366.57326388889");
        assert_eq!(canonical_answer("R8 1234.5678000000001"), "R8 1234.5678");
        assert_eq!(canonical_answer("BSTR 1234.5678000000001"), "BSTR 1234.5678000000001");
        assert_eq!(canonical_answer("R8 junk"), "R8 junk");
    }

    #[test]
    fn engine_answers_are_spelled_as_the_wine_program_prints_them() {
        assert_eq!(answer_text(Ok(Variant::from("3/15/2024 1:45:30 PM"))), "BSTR 3/15/2024 1:45:30 PM");
        assert_eq!(answer_text(Ok(Variant::from(1235i32))), "I4 1235");
        assert_eq!(answer_text(Ok(Variant::from(2.5f64))), "R8 2.5");
        // DISP_E_TYPEMISMATCH, as oleaut32's HRESULT prints with %08lx.
        let mismatch = change_type(&Variant::from("not a number"), VarType::R8, 0);
        assert_eq!(answer_text(mismatch), "hr 0x80020005");
    }

    #[test]
    fn warnings_name_differing_answers_and_unknown_rows() {
        let rows: HashSet<Key> = [key("VariantChangeType", "R8→I4 1234.5678"), key("UTF-16→BSTR", "64B euro")].into();
        let ours: HashMap<Key, String> = [
            (key("VariantChangeType", "R8→I4 1234.5678"), "I4 1235".to_string()),
            (key("UTF-16→BSTR", "64B euro"), "32 units".to_string()),
        ]
        .into();
        let wine = parse_baseline_lines(
            "VariantChangeType|R8→I4 1234.5678\t31\tI4 1235\n\
             UTF-16→BSTR|64B euro\t30\t31 units\n\
             SAFEARRAY|gone\t10\tsum 499500\n",
        );
        let differ = answer_mismatches("Wine oleaut32", &wine, &ours);
        assert_eq!(differ.len(), 1, "{differ:?}");
        assert!(differ[0].contains("\"31 units\"") && differ[0].contains("\"32 units\""), "{differ:?}");
        let unknown = unknown_rows("Wine oleaut32", &wine, &rows);
        assert_eq!(unknown.len(), 1, "{unknown:?}");
        assert!(unknown[0].contains("SAFEARRAY|gone"), "{unknown:?}");
        // An answer spelled with C's %.17g agrees with the engine's double.
        let wine = parse_baseline_lines("VariantChangeType|x\t1\tDATE 45366.573263888888\n");
        let ours: HashMap<Key, String> = [(key("VariantChangeType", "x"), "DATE 45366.57326388889".into())].into();
        assert!(answer_mismatches("Wine oleaut32", &wine, &ours).is_empty());
    }

    #[test]
    fn a_child_gets_its_input_and_a_hung_child_is_killed() {
        let (status, stdout, _) =
            run_with_timeout(&mut Command::new("cat"), b"64B euro\n3\nabc".to_vec(), Duration::from_secs(20))
                .expect("cat runs");
        assert!(status.success());
        assert_eq!(stdout, "64B euro\n3\nabc");
        let started = Instant::now();
        let hung = run_with_timeout(Command::new("sleep").arg("30"), Vec::new(), Duration::from_millis(200));
        assert!(hung.is_err_and(|e| e.contains("timed out")));
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    /// Every full key written in WineBaseline.c names a row of the suite, and the engine answers each
    /// coercion of the suite (the Wine program prints one answer per coercion).
    #[test]
    fn the_wine_program_keys_rows_of_the_suite() {
        let rows: HashSet<Key> = cases().iter().map(|c| (c.conversion.to_string(), c.input.clone())).collect();
        let mut coercions = 0;
        // C string literals, with their escaped quotes (\") kept inside.
        let source = WINE_BASELINE_C.replace("\\\"", "\u{1}");
        for literal in source.split('"').skip(1).step_by(2) {
            let literal = literal.replace('\u{1}', "\"");
            let Some((conversion, input)) = literal.split_once('|') else { continue };
            if input.contains('%') {
                continue; // a format string: the key is built at run time
            }
            assert!(rows.contains(&key(conversion, input)), "WineBaseline.c measures {literal:?}, no row of the suite");
            coercions += usize::from(conversion == "VariantChangeType");
        }
        assert_eq!(coercions, marshal_benches::suite_ole::change_type_pairs().len());
        for answer in engine_answers().values() {
            assert!(!answer.starts_with("hr "), "the engine refuses a coercion of the suite: {answer}");
        }
    }
}
