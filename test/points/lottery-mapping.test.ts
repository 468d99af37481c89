import { describe, expect, it } from 'vitest';
import { DRAW_RANGE, drawValue, fallbackChain, prizeForValue, type PrizeBand } from '../../src/points/lottery/mapping.js';

/** A prize table given out of ordinal order on purpose: bands follow the ordinal, not the array. */
const TABLE: PrizeBand[] = [
  { id: 30, ordinal: 3, weightPpm: 5, fallbackOrdinal: null },
  { id: 10, ordinal: 1, weightPpm: 10, fallbackOrdinal: 2 },
  { id: 20, ordinal: 2, weightPpm: 20, fallbackOrdinal: 3 },
];
const idAt = (r: number) => prizeForValue(TABLE, r)?.id ?? null;

describe('lottery mapping from random value to prize (pure)', () => {
  it('gives each prize the band of its cumulative weights in ordinal order, and no prize past the last band', () => {
    // Bands: ordinal 1 [0, 10), ordinal 2 [10, 30), ordinal 3 [30, 35), no prize [35, 1e6).
    expect([0, 9, 10, 29, 30, 34, 35, 999_999].map(idAt)).toEqual([10, 10, 20, 20, 30, 30, null, null]);
  });

  it('is deterministic: the same value always maps to the same prize, whatever the array order', () => {
    const reversed = [...TABLE].reverse();
    for (const r of [0, 9, 10, 29, 30, 34, 35, 123_456]) {
      expect(prizeForValue(reversed, r)?.id ?? null).toBe(idAt(r));
      expect(idAt(r)).toBe(idAt(r));
    }
  });

  it('covers the whole range when the weights add up to 1', () => {
    const full: PrizeBand[] = [{ id: 1, ordinal: 1, weightPpm: 400_000, fallbackOrdinal: null }, { id: 2, ordinal: 2, weightPpm: 600_000, fallbackOrdinal: null }];
    expect([0, 399_999, 400_000, DRAW_RANGE - 1].map((r) => prizeForValue(full, r)?.id)).toEqual([1, 1, 2, 2]);
    expect(prizeForValue([], 0)).toBeNull();
  });

  it('refuses a value outside [0, DRAW_RANGE) or not an integer', () => {
    for (const r of [-1, DRAW_RANGE, 0.5, Number.NaN]) expect(() => prizeForValue(TABLE, r)).toThrow(RangeError);
  });

  it('follows the fallback chain in order and stops at a repeat, so a cycle cannot loop', () => {
    const byId = (id: number) => TABLE.find((p) => p.id === id)!;
    expect(fallbackChain(TABLE, byId(10)).map((p) => p.id)).toEqual([10, 20, 30]);
    expect(fallbackChain(TABLE, byId(30)).map((p) => p.id)).toEqual([30]);
    expect(fallbackChain(TABLE, null)).toEqual([]);
    const cyclic: PrizeBand[] = [{ id: 1, ordinal: 1, weightPpm: 1, fallbackOrdinal: 2 }, { id: 2, ordinal: 2, weightPpm: 1, fallbackOrdinal: 1 }];
    expect(fallbackChain(cyclic, cyclic[0]!).map((p) => p.id)).toEqual([1, 2]);
  });

  it('over 20,000 CSPRNG draws, every prize (and no prize) comes up within 5 binomial σ of its probability', () => {
    // p = 0.05, 0.15, 0.3 and 0.5 for no prize. σ = sqrt(n p (1 - p)); at 5σ a correct mapping fails
    // about once in 1.7 million runs per band, while an off-by-one band or a biased source shows.
    const table: PrizeBand[] = [
      { id: 1, ordinal: 1, weightPpm: 50_000, fallbackOrdinal: null },
      { id: 2, ordinal: 2, weightPpm: 150_000, fallbackOrdinal: null },
      { id: 3, ordinal: 3, weightPpm: 300_000, fallbackOrdinal: null },
    ];
    const n = 20_000;
    const counts = new Map<number | null, number>();
    for (let i = 0; i < n; i++) {
      const r = drawValue();
      expect(Number.isInteger(r) && r >= 0 && r < DRAW_RANGE).toBe(true);
      const id = prizeForValue(table, r)?.id ?? null;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const expected: [number | null, number][] = [[1, 0.05], [2, 0.15], [3, 0.3], [null, 0.5]];
    for (const [id, p] of expected) {
      const sigma = Math.sqrt(n * p * (1 - p));
      const seen = counts.get(id) ?? 0;
      expect(Math.abs(seen - n * p), `prize ${id}: ${seen} of ${n}, expected ${n * p} ± ${5 * sigma}`).toBeLessThanOrEqual(5 * sigma);
    }
  });
});
