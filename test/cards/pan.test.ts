import { describe, expect, it } from 'vitest';
import { randomPan } from '../../src/cards/pan.js';
import { luhnValid } from '../../src/cards/luhn.js';

describe('PAN generation', () => {
  it.each([['622000', 16], ['62212345', 16], ['623456', 19], ['62212345', 19]] as const)(
    'draws Luhn-valid PANs of the right length within BIN %s (length %i)', (bin, length) => {
      for (let i = 0; i < 200; i++) {
        const pan = randomPan(bin, length);
        expect(pan).toMatch(new RegExp(`^${bin}\\d{${length - bin.length}}$`));
        expect(luhnValid(pan)).toBe(true);
      }
    });

  it('draws at random: no repeats, no sequence, every digit in every free position', () => {
    const pans = Array.from({ length: 1000 }, () => randomPan('622000', 16));
    expect(new Set(pans).size).toBe(pans.length);
    const bodies = pans.map((p) => Number(p.slice(6, 15)));
    const steps = new Set(bodies.slice(1).map((b, i) => b - bodies[i]!));
    expect(steps.size).toBeGreaterThan(900); // sequential numbering would give one step
    for (let pos = 6; pos < 15; pos++) {
      // P(some digit missing from a position in 1000 draws) ≈ 10 × 0.9^1000 ≈ 2e-45.
      expect(new Set(pans.map((p) => p[pos])).size).toBe(10);
    }
  });
});
