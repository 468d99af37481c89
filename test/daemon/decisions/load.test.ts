import { describe, expect, it } from 'vitest';
import { CARD, MERCHANT, channel, decide, message, precedenceRows, runTable } from './harness.js';

const msg = { amount: 5_000 };
const postings = [
  { account: `card:${CARD}:value`, asset: 'CNY', amount: 5_000 },
  { account: `merchant:${MERCHANT}`, asset: 'CNY', amount: -5_000 },
  { account: `channel:${channel.id}`, asset: 'CNY', amount: 6 },
  { account: 'revenue:channel_fees', asset: 'CNY', amount: -6 },
];

describe('load decision table', () => {
  it('follows the precedence, then not reloadable 57, program maximum 61, approved 00', () => {
    runTable('load', [
      ...precedenceRows(msg, { pin: false, expiry: true }),
      { name: '54 expired wins over a named card without a holder', state: { card: { expiryDate: '2026-05-31', needsHolder: true } }, msg, code: '54' },
      { name: '57 named program, no linked holder (design §10) wins over the program maximum', state: { card: { needsHolder: true, balance: 95_001 } }, msg, code: '57' },
      { name: '57 program not reloadable', state: { card: { program: { reloadable: false } } }, msg, code: '57' },
      { name: '61 above the program maximum', state: { card: { balance: 95_001 } }, msg, code: '61' },
      { name: '00 up to the maximum exactly: card +a, merchant −a, channel fee', state: { card: { balance: 95_000 } }, msg, code: '00', postings },
    ]);
  });

  it('a named card without a holder is refused only for the types that give it value (activate, load)', () => {
    expect(decide(message('purchase', { amount: 1_000 }), { card: { needsHolder: true } }).code).toBe('00');
    expect(decide(message('balance'), { card: { needsHolder: true } }).code).toBe('00');
    expect(decide(message('load', msg), { card: { needsHolder: false } }).code).toBe('00');
  });
});
