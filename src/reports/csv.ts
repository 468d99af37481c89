import { stringify } from 'csv-stringify/sync';
import { safeCell } from '../batch/safe-cell.js';

/**
 * CSV of report rows, safe to open in a spreadsheet (design §6): every cell goes through
 * safeCell, so text starting with `= + - @`, a tab or CR is neutralised; cells of the amount
 * columns that are plain signed integers stay numbers. UTF-8, LF line endings, no BOM.
 */
export interface CsvShape {
  columns: readonly string[];
  /** Columns holding signed integer amounts or counts. */
  amounts: ReadonlySet<string>;
}

/** The header line. */
export function csvHeader(shape: CsvShape): string {
  return stringify([shape.columns.map((c) => safeCell(c))], { record_delimiter: 'unix' });
}

/** The lines of `rows` (no header). */
export function csvLines(shape: CsvShape, rows: readonly object[]): string {
  if (rows.length === 0) return '';
  const cell = (row: object, c: string) => {
    const v = (row as Record<string, unknown>)[c];
    return safeCell(typeof v === 'boolean' ? String(v) : v, { amount: shape.amounts.has(c) });
  };
  return stringify(rows.map((r) => shape.columns.map((c) => cell(r, c))), { record_delimiter: 'unix' });
}

/** Header and rows. */
export function toCsv(shape: CsvShape, rows: readonly object[]): string {
  return csvHeader(shape) + csvLines(shape, rows);
}
