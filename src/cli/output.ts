/** stdout carries only a command's output (design §6); logs and progress go to stderr. */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A plain aligned table for people. */
export function printTable(rows: readonly object[], columns: string[]): void {
  if (rows.length === 0) {
    printLine('(none)');
    return;
  }
  const cell = (v: unknown) => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v));
  const get = (r: object, c: string) => cell((r as Record<string, unknown>)[c]);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => get(r, c).length)));
  printLine(columns.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  for (const r of rows) printLine(columns.map((c, i) => get(r, c).padEnd(widths[i]!)).join('  ').trimEnd());
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
