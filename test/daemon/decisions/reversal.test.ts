import { describe, it } from 'vitest';
import { CARD, MERCHANT, negated, purchasePostings, runTable, type State } from './harness.js';

const purchase: State = { original: { type: 'purchase', amountApproved: 1_000 } };
const msg = { card: null, originalRequestId: 'orig' };

describe('reversal decision table', () => {
  it('is always acknowledged (00) but for a settled date (12) or a spent load (51); card state does not matter', () => {
    runTable('reversal', [
      { name: '58 refused merchant', state: { ...purchase, refused: true }, msg, code: '58' },
      { name: '00 original unknown: a marker answers', state: { original: { status: 'marker', type: null, entryId: null, approved: false } }, msg, code: '00', postings: [] },
      { name: '00 repeat: original already reversed', state: { ...purchase, original: { ...purchase.original, status: 'reversed' } }, msg, code: '00', postings: [] },
      { name: '00 original declined: nothing to undo', state: { ...purchase, original: { ...purchase.original, approved: false, status: 'declined' } }, msg, code: '00', postings: [] },
      { name: '12 original partly refunded', state: { ...purchase, original: { ...purchase.original, refundedAmount: 100 } }, msg, code: '12' },
      { name: '12 original\'s business date settled', state: { ...purchase, original: { ...purchase.original, businessDate: '2026-06-14' }, dateOpen: false }, msg, code: '12' },
      {
        name: '51 a load whose value is spent', msg, code: '51',
        state: { original: { type: 'load', amountApproved: 5_000 }, postings: [{ account: `card:${CARD}:value`, asset: 'CNY', amount: 5_000 }, { account: `merchant:${MERCHANT}`, asset: 'CNY', amount: -5_000 }], card: { balance: 4_999 } },
      },
      { name: '00 the purchase negated with its channel fee', state: purchase, msg, code: '00', postings: negated(purchasePostings(1_000)) },
      { name: '00 into an earlier date still open', state: { ...purchase, original: { ...purchase.original, businessDate: '2026-06-14' }, dateOpen: true }, msg, code: '00', postings: negated(purchasePostings(1_000)) },
      { name: '00 whatever the card\'s state now (lost, expired)', state: { ...purchase, card: { status: 'lost', expiryDate: '2020-01-31' } }, msg, code: '00', postings: negated(purchasePostings(1_000)) },
    ]);
  });
});
