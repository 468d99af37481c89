import { describe, it } from 'vitest';
import { CARD, MERCHANT, negated, originalRows, purchasePostings, runTable, type State } from './harness.js';

const purchase: State = { original: { type: 'purchase', amountApproved: 1_000 } };
const msg = { card: null, originalRequestId: 'orig' };
const isFee = (p: { account: string }) => p.account.startsWith('channel:') || p.account === 'revenue:channel_fees';
const loadPostings = [
  { account: `card:${CARD}:value`, asset: 'CNY', amount: 5_000 },
  { account: `merchant:${MERCHANT}`, asset: 'CNY', amount: -5_000 },
];

describe('void decision table', () => {
  it('follows the precedence, then 94 undone, 12 declined / refunded / other date, 51 value spent, 00 negated without the channel fee', () => {
    runTable('void', [
      ...originalRows(msg, purchase),
      { name: '94 original already voided', state: { ...purchase, original: { ...purchase.original, status: 'voided' } }, msg, code: '94' },
      { name: '94 original reversed', state: { ...purchase, original: { ...purchase.original, status: 'reversed' } }, msg, code: '94' },
      { name: '94 original is itself a void', state: { ...purchase, original: { ...purchase.original, type: 'void' } }, msg, code: '94' },
      { name: '12 original declined', state: { ...purchase, original: { ...purchase.original, approved: false, status: 'declined' } }, msg, code: '12' },
      { name: '12 original partly refunded', state: { ...purchase, original: { ...purchase.original, refundedAmount: 100 } }, msg, code: '12' },
      { name: '12 original of another business date', state: { ...purchase, original: { ...purchase.original, businessDate: '2026-06-14' } }, msg, code: '12' },
      { name: '51 a load whose value is spent', state: { original: { type: 'load', amountApproved: 5_000 }, postings: loadPostings, card: { balance: 4_999 } }, msg, code: '51' },
      { name: '61 a credit above the program maximum', state: { ...purchase, card: { balance: 99_500 } }, msg, code: '61' },
      { name: '00 the purchase negated, its channel fee kept', state: purchase, msg, code: '00', postings: negated(purchasePostings(1_000), (p) => !isFee(p)) },
    ]);
  });
});
