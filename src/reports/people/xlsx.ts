import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import writeXlsxFile, { type Cell, type Row, type Sheet as XlsxSheet } from 'write-excel-file/node';
import { displayWidth } from './width.js';
import { cellText, columnName, kindIn, type CellValue, type ColumnKind, type Sheet } from './sheet.js';
import type { PeopleFormat } from './format.js';

/** Excel's own limit of rows per worksheet. */
export const XLSX_MAX_ROWS = 1_048_576;

function cell(value: CellValue, kind: ColumnKind, fmt: PeopleFormat, bold = false): Cell {
  const text = cellText(value, kind, fmt);
  const weight = bold ? { fontWeight: 'bold' as const } : {};
  if (text === '') return null;
  // Numbers as numbers (design §6b). A yuan amount is the number its exact two-decimal string
  // parses to, and that string is what the sheet's XML carries; the format shows two decimals.
  if (kind === 'amount' && typeof value !== 'string') return { value: Number(text), type: Number, format: fmt.amounts === 'yuan' ? '0.00' : '0', ...weight };
  if (kind === 'count' && typeof value !== 'string') return { value: Number(text), type: Number, format: '0', ...weight };
  return { value: text, type: String, ...weight };
}

function worksheet(sheet: Sheet, fmt: PeopleFormat): XlsxSheet<Buffer> {
  const data: Row[] = [sheet.columns.map((c) => ({ value: columnName(c, fmt.lang), type: String, fontWeight: 'bold' as const }))];
  for (const r of sheet.rows) data.push(sheet.columns.map((c) => cell(r[c.key] ?? null, kindIn(c, r), fmt)));
  for (const r of sheet.totals ?? []) data.push(sheet.columns.map((c) => cell(r[c.key] ?? null, kindIn(c, r), fmt, true)));
  if (sheet.notes?.length) {
    data.push([]);
    for (const n of sheet.notes) data.push([{ value: columnName(n, fmt.lang), type: String }, cell(n.value, n.kind, fmt)]);
  }
  if (data.length > XLSX_MAX_ROWS) throw new RangeError(`sheet ${sheet.name} has ${data.length} rows, more than an XLSX worksheet holds (${XLSX_MAX_ROWS})`);
  // Column widths in characters from the widest text (CJK counts double), within 8..60.
  const widths = data.reduce<number[]>((w, row) => {
    row.forEach((c, i) => {
      const v = c && typeof c === 'object' && 'value' in c ? c.value : c;
      const n = v === null || v === undefined ? 0 : displayWidth(String(v));
      w[i] = Math.max(w[i] ?? 0, n);
    });
    return w;
  }, []);
  return {
    data, sheet: sheet.name.slice(0, 31), stickyRowsCount: 1,
    columns: widths.map((n) => ({ width: Math.min(60, Math.max(8, n + 2)) })),
  };
}

/**
 * The sheets as one XLSX workbook (write-excel-file), made deterministic (design §6b: re-runs are
 * byte-identical): the package is re-zipped with every entry stamped at `createdOn` (the business
 * date) instead of the time of writing, and gains a docProps/core.xml whose creation and
 * modification time is that date in the business timezone (`offset` like `+08:00`). Nothing else
 * varies between runs.
 */
export async function workbook(sheets: readonly Sheet[], fmt: PeopleFormat, createdOn: string, offset: string): Promise<Buffer> {
  const raw = await writeXlsxFile(sheets.map((s) => worksheet(s, fmt)), {}).toBuffer();
  const files: Zippable = unzipSync(new Uint8Array(raw));
  const created = `${createdOn}T00:00:00${offset}`;
  files['docProps/core.xml'] = strToU8(
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    + 'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    + `<dcterms:created xsi:type="dcterms:W3CDTF">${created}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">${created}</dcterms:modified>`
    + '</cp:coreProperties>');
  const types = new TextDecoder().decode(files['[Content_Types].xml'] as Uint8Array);
  files['[Content_Types].xml'] = strToU8(types.replace('</Types>',
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>'));
  const rels = new TextDecoder().decode(files['_rels/.rels'] as Uint8Array);
  files['_rels/.rels'] = strToU8(rels.replace('</Relationships>',
    '<Relationship Id="rIdCore" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>'));
  // DOS times in a zip are local wall-clock fields: build the Date from local fields so every
  // machine, whatever its TZ, writes the same bytes.
  const [y, m, d] = createdOn.split('-').map(Number) as [number, number, number];
  const ordered: Zippable = {};
  for (const name of Object.keys(files).sort()) ordered[name] = [files[name] as Uint8Array, { mtime: new Date(y, m - 1, d), level: 6 }];
  return Buffer.from(zipSync(ordered));
}
