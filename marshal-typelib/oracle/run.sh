#!/usr/bin/env bash
# Build the type library oracle (tlbdump.c) with mingw-w64 and record what Wine's oleaut32 reports for type
# libraries into vector files.
#   ./run.sh                      dump Wine's own libraries (WINE_LIBS below) into ../vectors/wine_<name>.jsonl.gz
#   ./run.sh FILE.tlb [OUT.jsonl] dump one library (a .tlb or a PE file, "path\\N" for resource N) to OUT or stdout
# Needs: wine64 and wine64-tools (Wine 8, widl), gcc-mingw-w64-x86-64; INSTALL=1 installs them with apt.
# Wine's files are read from where Debian installs them; none is copied into the project.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-"${TMPDIR:-/tmp}/marshal-typelib-oracle"}
WINEDIR=${WINEDIR:-/usr/lib/x86_64-linux-gnu/wine/x86_64-windows}
mkdir -p "$BUILD"
if [ "${INSTALL:-0}" = 1 ]; then
  need=()
  [ -x /usr/lib/wine/wine64 ] || need+=(wine64)
  [ -x /usr/lib/wine/widl ] || need+=(wine64-tools)
  command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-x86-64)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
EXE="$BUILD/tlbdump.exe"
if [ ! -f "$EXE" ] || [ "$HERE/tlbdump.c" -nt "$EXE" ]; then
  x86_64-w64-mingw32-gcc -O1 -Wall -o "$EXE" "$HERE/tlbdump.c" -loleaut32 -lole32 -luuid
fi
export WINEPREFIX="${WINEPREFIX:-${TMPDIR:-/tmp}/marshal-typelib-wineprefix}" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
run() { /usr/lib/wine/wine64 "$EXE" "$@" 2>>"$BUILD/wine.stderr"; }
if [ $# -ge 1 ]; then
  if [ $# -ge 2 ]; then run --label="$(basename "$1")" "$1" > "$2"; else run --label="$(basename "$1")" "$1"; fi
  exit 0
fi
WINE_LIBS="stdole2.tlb stdole32.tlb activeds.tlb mshtml.tlb msxml3.dll msado15.dll"
# The project's own test library, built by widl for both platforms.
for arch in 64 32; do
  /usr/lib/wine/widl -I/usr/include/wine/wine/windows -L"$WINEDIR" -m$arch -t -o "$BUILD/testlib$arch.tlb" \
    "$HERE/../tests/idl/testlib.idl"
  out="$HERE/../vectors/widl_testlib$arch.jsonl.gz"
  run --label="testlib$arch.tlb" "$BUILD/testlib$arch.tlb" | gzip -9n > "$out"
  echo "testlib$arch.tlb: $(gzip -dc "$out" | wc -l) lines" >&2
done
for f in $WINE_LIBS; do
  out="$HERE/../vectors/wine_${f%.*}.jsonl.gz"
  run --label="$f" "$WINEDIR/$f" | gzip -9n > "$out"
  echo "$f: $(gzip -dc "$out" | wc -l) lines" >&2
done
