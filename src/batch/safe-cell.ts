/**
 * Spreadsheet safety for CSV written for people (design §6): a cell that starts with `=`, `+`,
 * `-`, `@`, a tab or a carriage return could run as a formula when opened, so it gets a leading
 * apostrophe. Plain signed numbers in amount columns stay as they are (`amount: true`).
 */
export function safeCell(value: unknown, opts: { amount?: boolean } = {}): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : String(value);
  if (opts.amount && /^-?\d+$/.test(s)) return s;
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}
