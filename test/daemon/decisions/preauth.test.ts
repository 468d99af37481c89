import { describe, expect, it } from 'vitest';
import { NOW, decide, message, precedenceRows, runTable } from './harness.js';

const msg = { amount: 1_000 };

describe('preauth decision table', () => {
  it('follows the precedence, then funds 51, partial 10, approved 00 placing a hold and posting nothing', () => {
    runTable('preauth', [
      ...precedenceRows(msg, { pin: true, expiry: true }),
      { name: '51 insufficient funds', state: { card: { balance: 999 } }, msg, code: '51' },
      { name: '10 partial hold of what is available', state: { card: { balance: 400 } }, msg: { ...msg, partial: true }, code: '10', postings: [] },
      { name: '00 hold placed, nothing posted', state: {}, msg, code: '00', postings: [] },
    ]);
  });

  it('the hold is the amount approved and expires after the program\'s hold days by the batch clock', () => {
    expect(decide(message('preauth', { amount: 1_000, partial: true }), { card: { balance: 400 } }).outcome.placeHold)
      .toEqual({ asset: 'CNY', amount: 400, expiresAt: new Date(NOW.getTime() + 7 * 86_400_000) });
  });
});
