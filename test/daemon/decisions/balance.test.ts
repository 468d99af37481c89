import { describe, it } from 'vitest';
import { precedenceRows, runTable } from './harness.js';

describe('balance decision table', () => {
  it('follows the precedence (no 54: allowed on an expired card), then 00 moving nothing', () => {
    runTable('balance', [
      ...precedenceRows({}, { pin: true, expiry: false }),
      { name: '00 on a card past its expiry date', state: { card: { expiryDate: '2026-05-31' } }, msg: {}, code: '00', postings: [] },
      { name: '00 on an expired card', state: { card: { status: 'expired' } }, msg: {}, code: '00', postings: [] },
      { name: '00 moves nothing', state: {}, msg: {}, code: '00', postings: [] },
    ]);
  });
});
