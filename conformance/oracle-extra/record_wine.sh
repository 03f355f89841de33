#!/usr/bin/env bash
# Records the project's extra oleaut32 cases (wine_sweep.c) under Wine 8 and curates them with the oracle's own
# rules into ../vectors-extra/wine_extra.jsonl.
#   conformance/oracle-extra/record_wine.sh     (needs wine64 and gcc-mingw-w64-x86-64; the oracle installs them)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
x86_64-w64-mingw32-gcc -O2 -Wno-unused-function -I"$here/../oracle/wine" -o "$work/wine_sweep.exe" \
    "$here/wine_sweep.c" -loleaut32
export WINEPREFIX="${WINEPREFIX:-${TMPDIR:-/tmp}/oracle-wineprefix}" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
"$wine" "$work/wine_sweep.exe" > "$work/wine_extra.jsonl"
"$(dirname "$wine")/wineserver" -k 2>/dev/null || true
python3 "$here/../oracle/curate.py" "$work/wine_extra.jsonl" >/dev/null
cp "$work/wine_extra.jsonl" "$here/../vectors-extra/wine_extra.jsonl"
wc -l "$here/../vectors-extra/wine_extra.jsonl"
