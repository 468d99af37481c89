/** stdout carries only a command's output (design §6); logs and progress go to stderr. */
import { displayWidth, padDisplay } from '../reports/people/width.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/**
 * The lines of a plain aligned table for people. Columns are padded by display width, so names
 * in Chinese (two columns per character in a terminal) line up with ASCII ones.
 */
export function formatTable(rows: readonly object[], columns: string[]): string[] {
  if (rows.length === 0) return ['(none)'];
  const cell = (v: unknown) => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v));
  const get = (r: object, c: string) => cell((r as Record<string, unknown>)[c]);
  const widths = columns.map((c) => Math.max(displayWidth(c), ...rows.map((r) => displayWidth(get(r, c)))));
  const line = (cells: string[]) => cells.map((v, i) => padDisplay(v, widths[i]!)).join('  ').trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => get(r, c))))];
}

/** A plain aligned table for people (see formatTable). */
export function printTable(rows: readonly object[], columns: string[]): void {
  for (const l of formatTable(rows, columns)) printLine(l);
}

/** A record as `key: value` lines. */
export function printRecord(row: object): void {
  for (const [k, v] of Object.entries(row)) printLine(`${k}: ${v === null ? '' : Array.isArray(v) ? v.join(',') : String(v)}`);
}

/** Prints `value` as JSON with --json, else with `human`. */
export function output<T>(json: boolean | undefined, value: T, human: (v: T) => void): void {
  if (json) printJson(value);
  else human(value);
}
