import { describe, it } from 'vitest';
import { CARD, FIXED_FEE, MERCHANT, precedenceRows, runTable } from './harness.js';

const air = `card:${CARD}:points:AIR`;
const mall = `card:${CARD}:points:MALL`;
const pts = (account: string, asset: string, amount: number) => ({ account, asset, amount });
const noPoints = { points: { program: { kind: 'stored_value', scheme_id: null } } };

describe('points decision tables (pure, over the prefetched points state)', () => {
  it('points_redeem: precedence, then 57 no points / scheme not accepted, 12 unknown scheme, 51, 10, 00', () => {
    const msg = { amount: 400 };
    runTable('points_redeem', [
      ...precedenceRows(msg, { pin: true, expiry: true }),
      { name: '57 card program without points', state: noPoints, msg, code: '57' },
      { name: '12 unknown scheme', state: {}, msg: { ...msg, scheme: 'NOPE' }, code: '12' },
      { name: '57 scheme not accepted at the merchant', state: { points: { accepts: [2] } }, msg, code: '57' },
      { name: '51 fewer points spendable', state: { points: { lots: [{ scheme_id: 1, remaining: 399, expires_at: null }] } }, msg, code: '51' },
      { name: '51 the points are in an expired lot', state: { points: { lots: [{ scheme_id: 1, remaining: 1_000, expires_at: '2026-06-01T00:00:00Z' }] } }, msg, code: '51' },
      {
        name: '10 partial: what is spendable', state: { points: { lots: [{ scheme_id: 1, remaining: 250, expires_at: null }] } }, msg: { ...msg, partial: true }, code: '10',
        postings: [pts(air, 'PTS:AIR', -250), pts('scheme:1:issued', 'PTS:AIR', 250), pts('scheme:1:float', 'CNY', -250), pts(`merchant:${MERCHANT}`, 'CNY', 250), ...FIXED_FEE],
      },
      {
        name: '00 points −p, float −r(p×v) to the merchant, fixed channel fee', state: {}, msg, code: '00',
        postings: [pts(air, 'PTS:AIR', -400), pts('scheme:1:issued', 'PTS:AIR', 400), pts('scheme:1:float', 'CNY', -400), pts(`merchant:${MERCHANT}`, 'CNY', 400), ...FIXED_FEE],
      },
    ]);
  });

  it('points_earn: precedence, then 57 no points, 12 no earn rule, 00 capped, 00 with nothing to earn', () => {
    const msg = { amount: 12_345 };
    runTable('points_earn', [
      ...precedenceRows(msg, { pin: false, expiry: true }),
      { name: '57 card program without points', state: noPoints, msg, code: '57' },
      { name: '12 the merchant awards no points', state: { points: { earn: null } }, msg, code: '12' },
      { name: '00 too small to earn a point: nothing posted', state: {}, msg: { amount: 9 }, code: '00', postings: [] },
      {
        name: '00 p = min(500, floor(12345 × 10 / 100)) funded at the issue price', state: {}, msg, code: '00',
        postings: [
          pts(air, 'PTS:AIR', 500), pts('scheme:1:issued', 'PTS:AIR', -500), pts(`merchant:${MERCHANT}`, 'CNY', -600), pts('scheme:1:float', 'CNY', 500),
          pts('revenue:points_spread', 'CNY', 100), ...FIXED_FEE,
        ],
      },
    ]);
  });

  it('points_load: precedence, then 57 no points, 12 unknown scheme, 00 at the sale price', () => {
    const msg = { amount: 1_000 };
    runTable('points_load', [
      ...precedenceRows(msg, { pin: false, expiry: true }),
      { name: '57 card program without points', state: noPoints, msg, code: '57' },
      { name: '12 unknown scheme', state: {}, msg: { ...msg, scheme: 'NOPE' }, code: '12' },
      {
        name: '00 sold at 1.5 fen a point, backed at 1', state: {}, msg, code: '00',
        postings: [
          pts(air, 'PTS:AIR', 1_000), pts('scheme:1:issued', 'PTS:AIR', -1_000), pts(`merchant:${MERCHANT}`, 'CNY', -1_500), pts('scheme:1:float', 'CNY', 1_000),
          pts('revenue:points_spread', 'CNY', 500), ...FIXED_FEE,
        ],
      },
    ]);
  });

  it('points_exchange: precedence, then 12 unknown / same scheme / no rate, 57 not accepted, 13 too few, 51, 00', () => {
    const msg = { amount: 400, toScheme: 'MALL' };
    runTable('points_exchange', [
      ...precedenceRows(msg, { pin: true, expiry: true }),
      { name: '57 card program without points', state: noPoints, msg, code: '57' },
      { name: '12 unknown to_scheme', state: {}, msg: { ...msg, toScheme: 'NOPE' }, code: '12' },
      { name: '12 to_scheme is the source', state: {}, msg: { ...msg, toScheme: 'AIR' }, code: '12' },
      { name: '57 to_scheme not accepted at the merchant', state: { points: { accepts: [1] } }, msg, code: '57' },
      { name: '12 no rate in force', state: { points: { rates: false } }, msg, code: '12' },
      { name: '13 too few to make one point', state: {}, msg: { ...msg, amount: 1 }, code: '13' },
      { name: '51 fewer points spendable', state: { points: { lots: [{ scheme_id: 1, remaining: 399, expires_at: null }] } }, msg, code: '51' },
      {
        name: '00 p2 = floor(400 × 0.5), floats moved, spread kept', state: {}, msg, code: '00',
        postings: [
          pts(air, 'PTS:AIR', -400), pts('scheme:1:issued', 'PTS:AIR', 400), pts(mall, 'PTS:MALL', 200), pts('scheme:2:issued', 'PTS:MALL', -200),
          pts('scheme:1:float', 'CNY', -400), pts('scheme:2:float', 'CNY', 100), pts('revenue:points_spread', 'CNY', 300), ...FIXED_FEE,
        ],
      },
    ]);
  });

  it('lottery: precedence, then 12 unknown game, 51, 00 paying the cost less the points prize', () => {
    const msg = { game: 'WIN' };
    runTable('lottery', [
      ...precedenceRows(msg, { pin: true, expiry: true }).map((r) => ({ ...r, state: { ...r.state, draw: 1 } })),
      { name: '57 card program without points', state: { ...noPoints, draw: 1 }, msg, code: '57' },
      { name: '12 unknown game', state: { draw: 1 }, msg: { game: 'NOPE' }, code: '12' },
      { name: '51 fewer points than the cost', state: { draw: 1, points: { lots: [{ scheme_id: 1, remaining: 99, expires_at: null }] } }, msg, code: '51' },
      {
        name: '00 cost 100, prize 30: 70 points to revenue:lottery', state: { draw: 1 }, msg, code: '00',
        postings: [pts(air, 'PTS:AIR', -70), pts('scheme:1:issued', 'PTS:AIR', 70), pts('scheme:1:float', 'CNY', -70), pts('revenue:lottery', 'CNY', 70), ...FIXED_FEE],
      },
    ]);
  });
});
