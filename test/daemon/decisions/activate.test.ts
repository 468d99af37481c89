import { describe, expect, it } from 'vitest';
import { CARD, MERCHANT, channel, decide, message, precedenceRows, runTable } from './harness.js';

const issued = { status: 'issued', balance: 0 };

describe('activate decision table', () => {
  it('follows the precedence, then already active 12, program maximum 61, approved 00', () => {
    runTable('activate', [
      ...precedenceRows({}, { pin: false, expiry: true, activate: true }).map((r) => ({ ...r, state: { ...r.state, card: r.state?.card === null ? null : { ...issued, ...r.state?.card } } })),
      { name: '54 expired wins over a named card without a holder', state: { card: { ...issued, expiryDate: '2026-05-31', needsHolder: true } }, msg: {}, code: '54' },
      { name: '57 named program, no linked holder (design §10) wins over the program maximum', state: { card: { ...issued, needsHolder: true } }, msg: { amount: 100_001 }, code: '57' },
      { name: '12 already active', state: { card: { status: 'active' } }, msg: {}, code: '12' },
      { name: '61 first value above the maximum', state: { card: issued }, msg: { amount: 100_001 }, code: '61' },
      { name: '00 without value moves nothing', state: { card: issued }, msg: {}, code: '00', postings: [] },
      {
        name: '00 with value: card +a, merchant −a, channel fee', state: { card: issued }, msg: { amount: 2_000 }, code: '00',
        postings: [
          { account: `card:${CARD}:value`, asset: 'CNY', amount: 2_000 },
          { account: `merchant:${MERCHANT}`, asset: 'CNY', amount: -2_000 },
          { account: `channel:${channel.id}`, asset: 'CNY', amount: 3 },
          { account: 'revenue:channel_fees', asset: 'CNY', amount: -3 },
        ],
      },
    ]);
  });

  it('an approved activation makes the card active in the batch\'s memory (written with the batch)', () => {
    const d = decide(message('activate'), { card: issued });
    expect(d.card!.patch.status).toBe('active');
  });
});
