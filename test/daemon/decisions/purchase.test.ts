import { describe, it } from 'vitest';
import { precedenceRows, purchasePostings, runTable } from './harness.js';

const msg = { amount: 1_000 };

describe('purchase decision table (design §5 precedence, §4 postings)', () => {
  it('follows the precedence, then funds 51, partial 10, approved 00 with its postings', () => {
    runTable('purchase', [
      ...precedenceRows(msg, { pin: true, expiry: true }),
      { name: '51 insufficient funds', state: { card: { balance: 999 } }, msg, code: '51' },
      { name: '51 funds held by a preauth', state: { card: { balance: 1_500, held: 600 } }, msg, code: '51' },
      { name: '51 partial with nothing available', state: { card: { balance: 0 } }, msg: { ...msg, partial: true }, code: '51' },
      { name: '10 partial approval of what is available', state: { card: { balance: 400 } }, msg: { ...msg, partial: true }, code: '10', postings: purchasePostings(400) },
      { name: '00 approved: card −a, merchant +(a−f), commission +f, channel fee', state: {}, msg, code: '00', postings: purchasePostings(1_000) },
      { name: '00 with the right PIN', state: { card: { program: { requiresPin: true }, pin: '1234' } }, msg: { ...msg, pin: '1234' }, code: '00', postings: purchasePostings(1_000) },
      { name: '00 in the program currency named', state: {}, msg: { ...msg, currency: 'CNY' } as never, code: '00', postings: purchasePostings(1_000) },
    ]);
  });
});
