import { describe, it } from 'vitest';
import { NOW, originalRows, purchasePostings, runTable, type State } from './harness.js';

const preauth: State = { original: { type: 'preauth', entryId: null, holdId: 900, amountApproved: 1_000 }, hold: { remaining: 1_000 } };
const msg = { card: null, originalRequestId: 'orig' };

describe('capture decision table', () => {
  it('follows the precedence, then the hold: 12 not a preauth, 94 undone or captured, 12 expired, 13 above the hold, 00', () => {
    runTable('capture', [
      ...originalRows(msg, preauth),
      { name: '12 original not a preauth', state: { ...preauth, original: { ...preauth.original, type: 'purchase' } }, msg, code: '12' },
      { name: '12 original declined', state: { ...preauth, original: { ...preauth.original, approved: false, status: 'declined' } }, msg, code: '12' },
      { name: '94 preauth voided', state: { ...preauth, original: { ...preauth.original, status: 'voided' } }, msg, code: '94' },
      { name: '94 hold already captured', state: { ...preauth, hold: { status: 'captured', remaining: 0 } }, msg, code: '94' },
      { name: '94 hold released', state: { ...preauth, hold: { status: 'released', remaining: 0 } }, msg, code: '94' },
      { name: '12 hold expired', state: { ...preauth, hold: { status: 'expired', remaining: 0 } }, msg, code: '12' },
      { name: '12 hold past its expiry (expired then and there)', state: { ...preauth, hold: { expiresAt: NOW } }, msg, code: '12' },
      { name: '13 above the hold', state: preauth, msg: { ...msg, amount: 1_001 }, code: '13' },
      { name: '00 partial capture: the purchase postings of the amount', state: preauth, msg: { ...msg, amount: 600 }, code: '00', postings: purchasePostings(600) },
      { name: '00 whole hold when no amount is given', state: preauth, msg, code: '00', postings: purchasePostings(1_000) },
    ]);
  });
});
