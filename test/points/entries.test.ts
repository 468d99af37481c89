import { describe, expect, it } from 'vitest';
import { clawbackLegs, earnedPoints, exchangedPoints, isChannelFeeLeg } from '../../src/points/entries.js';
import type { Posting } from '../../src/ledger/entry.js';

describe('points pricing (pure)', () => {
  it('earns floor(amount × rate / 100) points, capped per transaction', () => {
    expect(earnedPoints(12345, 3, null)).toBe(370); // 370.35 rounds down
    expect(earnedPoints(99, 1, null)).toBe(0);
    expect(earnedPoints(20000, 3, 500)).toBe(500); // 600 capped
    expect(earnedPoints(10_000_000_000, 1_000_000, null)).toBe(100_000_000_000_000); // intermediate 1e16 > 2^53, exact
  });

  it('exchanges at floor(p1 × rate_micro / 1e6), never in the cardholder\'s favour', () => {
    expect(exchangedPoints(100, 333_333)).toBe(33); // 33.3333
    expect(exchangedPoints(3, 333_334)).toBe(1); // 1.000002
    expect(exchangedPoints(2, 499_999)).toBe(0);
    expect(exchangedPoints(7, 2_500_000)).toBe(17); // 17.5
  });

  it('recognises channel fee legs', () => {
    expect(isChannelFeeLeg({ account: 'channel:4', asset: 'CNY', amount: 1 })).toBe(true);
    expect(isChannelFeeLeg({ account: 'revenue:channel_fees', asset: 'CNY', amount: -1 })).toBe(true);
    expect(isChannelFeeLeg({ account: 'merchant:4', asset: 'CNY', amount: 1 })).toBe(false);
  });

  it('claw-back legs add up to exactly the negated earn over any split, and every partial leg balances', () => {
    // An earn of 7 points: merchant -9, float +7, spread +2 (made-up prices), plus a channel fee.
    const earn: Posting[] = [
      { account: 'card:1:points:S', asset: 'PTS:S', amount: 7 },
      { account: 'scheme:1:issued', asset: 'PTS:S', amount: -7 },
      { account: 'merchant:2', asset: 'CNY', amount: -9 },
      { account: 'scheme:1:float', asset: 'CNY', amount: 7 },
      { account: 'revenue:points_spread', asset: 'CNY', amount: 2 },
      { account: 'channel:3', asset: 'CNY', amount: 1 },
      { account: 'revenue:channel_fees', asset: 'CNY', amount: -1 },
    ];
    const steps = [0, 1, 3, 4, 7];
    const total = new Map<string, number>();
    for (let i = 1; i < steps.length; i++) {
      const legs = clawbackLegs(earn, 7, steps[i - 1]!, steps[i]!);
      const perAsset = new Map<string, number>();
      for (const l of legs) {
        perAsset.set(l.asset, (perAsset.get(l.asset) ?? 0) + l.amount);
        total.set(l.account, (total.get(l.account) ?? 0) + l.amount);
      }
      expect([...perAsset.values()].every((s) => s === 0)).toBe(true);
      expect(legs.find((l) => l.account === 'card:1:points:S')!.amount).toBe(-(steps[i]! - steps[i - 1]!));
    }
    expect(Object.fromEntries(total)).toEqual({
      'card:1:points:S': -7, 'scheme:1:issued': 7, 'merchant:2': 9, 'scheme:1:float': -7, 'revenue:points_spread': -2,
    });
  });
});
