import { InputError } from '../errors.js';

/** Field validators shared by the registry: each throws InputError naming the field. */

const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

export function code(value: unknown, field = 'code'): string {
  if (typeof value !== 'string' || !CODE.test(value)) {
    throw new InputError('invalid_code', `${field} must be 1–32 characters: letters, digits, _ . - (starting with a letter or digit)`, field);
  }
  return value;
}

export function name(value: unknown, field = 'name'): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > 200) {
    throw new InputError('invalid_name', `${field} must be 1–200 characters`, field);
  }
  return value.trim();
}

/** A whole number from the CLI (string) or JSON (number) within [min, max]. */
export function int(value: unknown, field: string, min: number, max: number): number {
  const s = typeof value === 'number' ? String(value) : value;
  if (typeof s !== 'string' || !/^-?\d{1,16}$/.test(s.trim())) {
    throw new InputError('invalid_number', `${field} must be a whole number`, field);
  }
  const n = Number(s.trim());
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InputError('out_of_range', `${field} must be between ${min} and ${max}`, field);
  }
  return n;
}

export function optionalInt(value: unknown, field: string, min: number, max: number): number | null {
  return value === undefined || value === null || value === '' ? null : int(value, field, min, max);
}

export function bool(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'yes' || value === '1') return true;
  if (value === 'false' || value === 'no' || value === '0') return false;
  throw new InputError('invalid_boolean', `${field} must be true or false`, field);
}

export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new InputError('invalid_choice', `${field} must be one of ${allowed.join(', ')}`, field);
  }
  return value as T;
}

export function currency(value: unknown, field = 'currency'): string {
  if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value)) throw new InputError('invalid_currency', `${field} must be an ISO 4217 code such as CNY`, field);
  return value;
}

/** A list of codes given as an array or a comma-separated string. */
export function codeList(value: unknown, field: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  const items = Array.isArray(value) ? value : String(value).split(',').map((s) => s.trim()).filter(Boolean);
  return items.map((v, i) => code(v, `${field}[${i}]`));
}

/**
 * A decimal with at most `scale` decimals as an exact integer scaled by 10^scale
 * (e.g. "0.015" at scale 4 → 150). Never goes through floating point.
 */
export function scaledDecimal(value: unknown, field: string, scale: number, opts: { positive?: boolean } = {}): number {
  const s = typeof value === 'number' ? String(value) : value;
  const m = typeof s === 'string' ? /^(\d{1,12})(?:\.(\d+))?$/.exec(s.trim()) : null;
  if (!m) throw new InputError('invalid_decimal', `${field} must be a non-negative decimal number`, field);
  const frac = m[2] ?? '';
  if (frac.length > scale) throw new InputError('too_precise', `${field} allows at most ${scale} decimals`, field);
  const n = Number(m[1]) * 10 ** scale + Number(frac.padEnd(scale, '0') || '0');
  if (!Number.isSafeInteger(n)) throw new InputError('out_of_range', `${field} is too large`, field);
  if (opts.positive && n === 0) throw new InputError('out_of_range', `${field} must be greater than zero`, field);
  return n;
}

/** Formats an integer scaled by 10^scale back to a decimal string ("150", 4 → "0.015"). */
export function formatScaled(n: number, scale: number): string {
  const s = String(n).padStart(scale + 1, '0');
  const int = s.slice(0, s.length - scale);
  const frac = s.slice(s.length - scale).replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}
