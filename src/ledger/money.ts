import { InputError } from '../errors.js';

/**
 * r(num / den): round half away from zero to an integer (design §4), exact for any size of
 * operands: sign(x)·floor(|x| + ½). `den` must be positive.
 */
export function roundDiv(num: bigint | number, den: bigint | number): number {
  const n = BigInt(num);
  const d = BigInt(den);
  if (d <= 0n) throw new RangeError('roundDiv: denominator must be positive');
  const abs = n < 0n ? -n : n;
  const q = (2n * abs + d) / (2n * d);
  return toSafe(n < 0n ? -q : q);
}

/** floor(num / den) for non-negative operands, exact. */
export function floorDiv(num: bigint | number, den: bigint | number): number {
  return toSafe(BigInt(num) / BigInt(den));
}

/** r(amount × bps / 10000): a basis-point share of an amount, in minor units. */
export function bpsOf(amount: number, bps: number): number {
  return roundDiv(BigInt(amount) * BigInt(bps), 10_000n);
}

/** r(points × pricePer10k / 10000): the money value of points at a price quoted per 10,000 points. */
export function pointsValue(points: number, pricePer10k: number): number {
  return roundDiv(BigInt(points) * BigInt(pricePer10k), 10_000n);
}

function toSafe(v: bigint): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`amount ${v} exceeds 2^53`);
  return n;
}

/** Parses a minor-unit amount written as plain ASCII digits (no sign, exponent, decimals or spaces). */
export function parseAmount(raw: unknown, field: string, opts: { allowZero?: boolean } = {}): number {
  const s = typeof raw === 'number' && Number.isInteger(raw) ? String(raw) : raw;
  if (typeof s !== 'string' || !/^[0-9]{1,15}$/.test(s)) {
    throw new InputError('invalid_amount', `${field} must be a whole number of minor units (digits only)`, field);
  }
  const n = Number(s);
  if (n === 0 && !opts.allowZero) throw new InputError('invalid_amount', `${field} must be greater than zero`, field);
  return n;
}
