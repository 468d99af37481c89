import { stringify } from 'csv-stringify/sync';
import { safeCell } from '../../batch/safe-cell.js';
import { amountText, type Lang, type PeopleFormat } from './format.js';

/** What a column holds: text, a count (integer), or an amount in fen (shown as yuan or fen). */
export type ColumnKind = 'text' | 'count' | 'amount';

/** A column of a table for people, named in both languages. */
export interface Column {
  key: string;
  en: string;
  zh: string;
  kind: ColumnKind;
  /** For an amount column of rows that may hold points: the row field naming the asset (`PTS:…` is shown as an integer, never as yuan). */
  assetKey?: string;
}

export type CellValue = string | number | bigint | null;
export type SheetRow = Record<string, CellValue>;

/** A label/value line under a table (e.g. a statement's settlement row). */
export interface Note {
  en: string;
  zh: string;
  value: CellValue;
  kind: ColumnKind;
}

/**
 * One table for people: a header row, the rows, optional totals lines (their label in the first
 * column) and optional label/value lines after a blank line. The same sheet renders to CSV or
 * to an XLSX worksheet, so both hold the same figures.
 */
export interface Sheet {
  /** Worksheet name (XLSX). */
  name: string;
  columns: readonly Column[];
  rows: readonly SheetRow[];
  totals?: readonly SheetRow[];
  notes?: readonly Note[];
}

/** The column's name in `lang`. */
export function columnName(c: Column | Note, lang: Lang): string {
  return lang === 'zh' ? c.zh : c.en;
}

/** A cell's text: amounts in the chosen unit, counts as integers, text as it is. */
export function cellText(value: CellValue, kind: ColumnKind, fmt: PeopleFormat): string {
  if (value === null || value === '') return '';
  if (kind === 'amount' && typeof value !== 'string') return amountText(value, fmt.amounts);
  return String(value);
}

/** The kind a cell of column `c` in `row` is shown as (a points amount is a count). */
export function kindIn(c: Column, row: SheetRow): ColumnKind {
  if (c.kind === 'amount' && c.assetKey !== undefined && String(row[c.assetKey] ?? '').startsWith('PTS:')) return 'count';
  return c.kind;
}

const NUMBER = /^-?\d+(\.\d{2})?$/;

/** A cell for a CSV opened in a spreadsheet: numbers stay numbers, text is neutralised (design §6b). */
function csvCell(value: CellValue, kind: ColumnKind, fmt: PeopleFormat): string {
  const text = cellText(value, kind, fmt);
  if (kind !== 'text' && NUMBER.test(text)) return text;
  return safeCell(text);
}

/** The sheet as CSV text (LF line endings; the caller encodes it). */
export function sheetCsv(sheet: Sheet, fmt: PeopleFormat): string {
  const records: string[][] = [sheet.columns.map((c) => safeCell(columnName(c, fmt.lang)))];
  for (const r of [...sheet.rows, ...(sheet.totals ?? [])]) records.push(sheet.columns.map((c) => csvCell(r[c.key] ?? null, kindIn(c, r), fmt)));
  if (sheet.notes?.length) {
    records.push([]);
    for (const n of sheet.notes) records.push([safeCell(columnName(n, fmt.lang)), csvCell(n.value, n.kind, fmt)]);
  }
  return stringify(records, { record_delimiter: 'unix' });
}
