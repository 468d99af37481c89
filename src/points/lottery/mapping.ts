/**
 * The lottery's mapping from a random value to a prize: pure and deterministic, so every recorded
 * draw can be replayed (`auditGame`). A draw's random value r is a uniform integer in
 * [0, DRAW_RANGE) from the CSPRNG; prizes own consecutive bands of `weightPpm` values in ordinal
 * order (prize 1: [0, w1), prize 2: [w1, w1 + w2), …) and r past the last band wins nothing, so a
 * prize's probability is exactly weightPpm / 1,000,000.
 */
import crypto from 'node:crypto';

/** Random values are integers in [0, DRAW_RANGE): probabilities are parts per million. */
export const DRAW_RANGE = 1_000_000;

export interface PrizeBand {
  id: number;
  ordinal: number;
  weightPpm: number;
  /** Ordinal of the prize awarded instead when this one is out of stock; null = no prize. */
  fallbackOrdinal: number | null;
}

/** A fresh draw value from the CSPRNG (crypto.randomInt, uniform without modulo bias). */
export function drawValue(): number {
  return crypto.randomInt(DRAW_RANGE);
}

/** The prize whose band contains `r`, or null for the no-prize band. Throws on r outside [0, DRAW_RANGE). */
export function prizeForValue<T extends PrizeBand>(prizes: readonly T[], r: number): T | null {
  if (!Number.isInteger(r) || r < 0 || r >= DRAW_RANGE) throw new RangeError(`draw value ${r} is not an integer in [0, ${DRAW_RANGE})`);
  let upper = 0;
  for (const p of [...prizes].sort((a, b) => a.ordinal - b.ordinal)) {
    upper += p.weightPpm;
    if (r < upper) return p;
  }
  return null;
}

/**
 * The prizes a draw of `drawn` may award, in order: `drawn`, then its fallback, the fallback's
 * fallback, … (a repeated prize ends the chain, so a misconfigured cycle cannot loop). When every
 * prize of the chain is out of stock the draw wins nothing.
 */
export function fallbackChain<T extends PrizeBand>(prizes: readonly T[], drawn: T | null): T[] {
  const byOrdinal = new Map(prizes.map((p) => [p.ordinal, p]));
  const chain: T[] = [];
  for (let p = drawn; p && !chain.includes(p); p = p.fallbackOrdinal === null ? null : byOrdinal.get(p.fallbackOrdinal) ?? null) chain.push(p);
  return chain;
}
