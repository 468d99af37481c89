import { describe, it } from 'vitest';
import { CARD, MERCHANT, channel, precedenceRows, runTable } from './harness.js';

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
      { name: '57 program not reloadable', state: { card: { program: { reloadable: false } } }, msg, code: '57' },
      { name: '61 above the program maximum', state: { card: { balance: 95_001 } }, msg, code: '61' },
      { name: '00 up to the maximum exactly: card +a, merchant −a, channel fee', state: { card: { balance: 95_000 } }, msg, code: '00', postings },
    ]);
  });
});
