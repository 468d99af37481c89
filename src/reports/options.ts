import { InputError } from '../errors.js';
import { isIsoDate } from '../ledger/calendar.js';

/** The message types of design §5 (a `--type` filter takes one of them). */
export const MESSAGE_TYPES = [
  'balance', 'activate', 'load', 'purchase', 'preauth', 'capture', 'void', 'reversal', 'refund',
  'points_earn', 'points_redeem', 'points_load', 'points_exchange', 'lottery',
] as const;

/** A business date written YYYY-MM-DD, or InputError naming the option. */
export function dateOption(value: unknown, option: string): string {
  if (typeof value !== 'string' || !isIsoDate(value)) throw new InputError('invalid_option', `${option} must be a date YYYY-MM-DD`, option);
  return value;
}

/** Optional `--from`/`--to` business dates, from ≤ to. */
export function dateRange(from: unknown, to: unknown): { from: string | null; to: string | null } {
  const f = from === undefined ? null : dateOption(from, '--from');
  const t = to === undefined ? null : dateOption(to, '--to');
  if (f !== null && t !== null && f > t) throw new InputError('invalid_option', `--from ${f} is after --to ${t}`, '--from');
  return { from: f, to: t };
}

/** Required `--from`/`--to`. */
export function requiredRange(from: unknown, to: unknown): { from: string; to: string } {
  if (from === undefined) throw new InputError('invalid_option', '--from is required', '--from');
  if (to === undefined) throw new InputError('invalid_option', '--to is required', '--to');
  const r = dateRange(from, to);
  return { from: r.from!, to: r.to! };
}

/** `--month YYYY-MM` as its first and last business dates. */
export function monthOption(value: unknown): { month: string; from: string; to: string } {
  if (typeof value !== 'string' || !/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) {
    throw new InputError('invalid_option', '--month must be YYYY-MM', '--month');
  }
  const y = Number(value.slice(0, 4));
  const m = Number(value.slice(5, 7));
  const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  return { month: value, from: `${value}-01`, to: last };
}

/** A registry code option (merchant, terminal, channel). */
export function codeOption(value: unknown, option: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/.test(value)) {
    throw new InputError('invalid_option', `${option} must be a registry code`, option);
  }
  return value;
}
