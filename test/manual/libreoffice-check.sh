#!/usr/bin/env bash
# Manual check, not part of `npm test` (LibreOffice is too heavy for every CI run; design §6b):
# a statement written with the defaults (UTF-8 with BOM, zh, yuan) — and its XLSX — open in
# LibreOffice Calc to the same numbers and text. Needs `soffice` (Debian: apt-get install -y
# libreoffice-calc).
#
#   test/manual/libreoffice-check.sh [STATEMENT.csv [STATEMENT.xlsx]]
#
# Default: the example statement in batches/examples/. Three conversions with
# `soffice --headless --convert-to csv`:
#   csv-utf8     the CSV imported as UTF-8 (what Calc's import dialog offers for a file with a BOM);
#   csv-default  the CSV with no import options at all: headless Calc then ignores the BOM and
#                reads its default 8-bit charset, so Chinese text comes out garbled — numbers must
#                still match; text differences are only reported;
#   xlsx         the workbook.
# Exit 0 when every number matches everywhere and every text cell matches in csv-utf8 and xlsx.
set -euo pipefail
cd "$(dirname "$0")/../.."
csv="${1:-batches/examples/statement-CANTEEN-2026-11-20.csv}"
xlsx="${2:-${csv%.csv}.xlsx}"
command -v soffice >/dev/null || { echo "soffice not found: apt-get install -y libreoffice-calc" >&2; exit 2; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
soffice --version
status=0
convert() { # mode input [infilter]
  local dir="$out/$1"
  mkdir -p "$dir"
  local args=(--headless "-env:UserInstallation=file://$out/profile" --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1' --outdir "$dir")
  [ -n "${3:-}" ] && args+=("--infilter=$3")
  soffice "${args[@]}" "$2" >/dev/null 2>&1
  echo "$dir/$(basename "${2%.*}").csv"
}
compare() { # mode converted strict-text
  echo "== $1"
  node --input-type=module - "$csv" "$2" "$3" <<'JS'
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
const [orig, conv, strict] = process.argv.slice(2);
const read = (f) => parse(fs.readFileSync(f, 'utf8').replace(/^\uFEFF/, ''), { relax_column_count: true })
  .map((r) => { const x = [...r]; while (x.length && x.at(-1) === '') x.pop(); return x; });
const a = read(orig);
const b = read(conv);
const number = /^-?\d+(\.\d+)?$/;
let numbers = 0, texts = 0, numberDiffs = 0, textDiffs = 0;
for (let i = 0; i < Math.max(a.length, b.length); i++) {
  const ra = a[i] ?? [], rb = b[i] ?? [];
  for (let j = 0; j < Math.max(ra.length, rb.length); j++) {
    const x = ra[j] ?? '', y = rb[j] ?? '';
    if (number.test(x)) {
      numbers++;
      if (!(number.test(y) && Number(x) === Number(y))) { numberDiffs++; console.log(`  NUMBER row ${i + 1} col ${j + 1}: file ${x} vs Calc ${JSON.stringify(y)}`); }
    } else {
      texts++;
      if (x !== y) { textDiffs++; if (textDiffs <= 3) console.log(`  text row ${i + 1} col ${j + 1}: file ${JSON.stringify(x)} vs Calc ${JSON.stringify(y)}`); }
    }
  }
}
console.log(`  ${a.length} rows: ${numbers} numbers (${numberDiffs} differ), ${texts} text cells (${textDiffs} differ)`);
process.exit(numberDiffs > 0 || (strict === 'strict' && textDiffs > 0) ? 1 : 0);
JS
}
compare csv-utf8 "$(convert csv-utf8 "$csv" 'CSV:44,34,76')" strict || status=1
compare csv-default "$(convert csv-default "$csv")" numbers-only || status=1
[ -f "$xlsx" ] && { compare xlsx "$(convert xlsx "$xlsx")" strict || status=1; }
[ $status -eq 0 ] && echo "OK: LibreOffice Calc reads the same numbers" || echo "FAILED"
exit $status
