#!/usr/bin/env bash
# Records the project's extra layout cases (layout_extra.cs) with the oracle (Mono only) and keeps
# only the new lines, curated with the oracle's own layout rules, in ../vectors-extra/.
#   conformance/oracle-extra/record.sh        (needs mono-mcs + mono-runtime; the oracle installs them)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/../oracle" "$work/oracle"
# Only the layout section matters here: run the oracle's Mono layout section with the extra cases,
# then curate that file (the full run.sh also records the other sections and their call logs).
cd "$work/oracle"
mkdir -p build out
mcs -unsafe -nowarn:169,414,649,618 -r:System.Core.dll -define:ORACLE_EXTRA -out:build/oracle.exe mono/*.cs "$here/layout_extra.cs" >/dev/null
MONO_DEBUG=no-gdb-backtrace mono build/oracle.exe --section layout > out/mono_layout.jsonl
python3 curate.py out/mono_layout.jsonl --sources mono/*.cs "$here/layout_extra.cs" >/dev/null
grep '"case":"X_' out/mono_layout.jsonl > "$here/../vectors-extra/mono_layout_extra.jsonl"
wc -l "$here/../vectors-extra/mono_layout_extra.jsonl"
