import { describe, it } from 'vitest';
import { CARD, MERCHANT, channel, originalRows, runTable, type State } from './harness.js';

// A purchase of 1,000 at 150 bps: commission f = 15.
const purchase: State = { original: { type: 'purchase', amountApproved: 1_000, commission: 15 } };
const msg = { card: null, originalRequestId: 'orig', amount: 400 };
const refund = (x: number, fx: number) => [
  { account: `card:${CARD}:value`, asset: 'CNY', amount: x },
  { account: `merchant:${MERCHANT}`, asset: 'CNY', amount: -(x - fx) },
  { account: 'revenue:merchant_commission', asset: 'CNY', amount: -fx },
  { account: `channel:${channel.id}`, asset: 'CNY', amount: 1 + Math.round(x * 10 / 10_000) },
  { account: 'revenue:channel_fees', asset: 'CNY', amount: -(1 + Math.round(x * 10 / 10_000)) },
];

describe('refund decision table', () => {
  it('follows the precedence, then 12 not refundable, 13 above what remains, 61 maximum, 00 with cumulative commission', () => {
    runTable('refund', [
      ...originalRows(msg, purchase),
      { name: '12 original not refundable (a load)', state: { ...purchase, original: { ...purchase.original, type: 'load' } }, msg, code: '12' },
      { name: '12 original declined', state: { ...purchase, original: { ...purchase.original, approved: false, status: 'declined' } }, msg, code: '12' },
      { name: '12 original voided', state: { ...purchase, original: { ...purchase.original, status: 'voided' } }, msg, code: '12' },
      { name: '13 above what remains refundable', state: { ...purchase, original: { ...purchase.original, refundedAmount: 700 } }, msg, code: '13' },
      { name: '61 a credit above the program maximum', state: { ...purchase, card: { balance: 99_700 } }, msg, code: '61' },
      { name: '00 first part: fx = r(15 × 400 / 1000) = 6', state: purchase, msg, code: '00', postings: refund(400, 6) },
      { name: '00 the rest: fx = 15 − r(15 × 400 / 1000) = 9, so the whole commission returns', state: { ...purchase, original: { ...purchase.original, refundedAmount: 400 } }, msg: { ...msg, amount: 600 }, code: '00', postings: refund(600, 9) },
    ]);
  });
});
