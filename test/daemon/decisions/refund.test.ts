import { describe, expect, it } from 'vitest';
import { CARD, MERCHANT, NOW, channel, originalRows, pointsDoc, runTable, type State } from './harness.js';
import { decideRedeemRefund } from '../../../src/points/redeem-refund.js';
import { pointsView } from '../../../src/points/view.js';

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

// A points_redeem of 300 AIR points (redemption 1 fen a point) at MERCHANT, entry 600, which took
// 200 points from lot 41 and then 100 from lot 42.
const redeemLegs = [
  { account: `card:${CARD}:points:AIR`, asset: 'PTS:AIR', amount: -300 },
  { account: 'scheme:1:issued', asset: 'PTS:AIR', amount: 300 },
  { account: 'scheme:1:float', asset: 'CNY', amount: -300 },
  { account: `merchant:${MERCHANT}`, asset: 'CNY', amount: 300 },
  { account: `channel:${channel.id}`, asset: 'CNY', amount: 1 },
  { account: 'revenue:channel_fees', asset: 'CNY', amount: -1 },
];
const redeem: State = {
  original: { type: 'points_redeem', asset: 'PTS:AIR', amountRequested: 300, amountApproved: 300, entryId: 600, commission: 0 },
  postings: redeemLegs,
  points: {
    entries: [{ id: 600, kind: 'points_redeem', merchant_id: MERCHANT, channel_id: channel.id, memo: { scheme: 'AIR', points: 300 }, transaction_id: 100 }],
    legs: redeemLegs.map((l) => ({ entry_id: 600, ...l })),
    lot_moves: [{ card_id: CARD, entry_id: 600, lot_id: 41, scheme_id: 1, points: -200 }, { card_id: CARD, entry_id: 600, lot_id: 42, scheme_id: 1, points: -100 }],
  },
};
const back = (p: number) => [
  { account: `card:${CARD}:points:AIR`, asset: 'PTS:AIR', amount: p },
  { account: 'scheme:1:issued', asset: 'PTS:AIR', amount: -p },
  { account: 'scheme:1:float', asset: 'CNY', amount: p },
  { account: `merchant:${MERCHANT}`, asset: 'CNY', amount: -p },
];

describe('refund of a points_redeem decision table (design §5)', () => {
  it('12 not the redeem, 13 above what remains, 00 the redeem negated in proportion without the channel fee', () => {
    runTable('refund', [
      { name: '12 the original redeemed no points', state: { ...redeem, points: { ...redeem.points, entries: [] } }, msg: { ...msg, amount: 100 }, code: '12' },
      { name: '13 above what was redeemed', state: redeem, msg: { ...msg, amount: 301 }, code: '13' },
      { name: '13 above what remains refundable', state: { ...redeem, original: { ...redeem.original, refundedAmount: 250 } }, msg: { ...msg, amount: 51 }, code: '13' },
      { name: '00 part: points and their value back, no channel fee', state: redeem, msg: { ...msg, amount: 120 }, code: '00', postings: back(120) },
      { name: '00 the rest exactly', state: { ...redeem, original: { ...redeem.original, refundedAmount: 120 } }, msg: { ...msg, amount: 180 }, code: '00', postings: back(180) },
    ]);
  });

  it('restores the slice of the redeemed points to the lots it came from, newest lot first', () => {
    // Points [50, 200) of the redeem: lot 42 gave [0, 100), lot 41 gave [100, 300).
    const o = decideRedeemRefund(pointsView(pointsDoc(redeem.points!)), {
      redeemTransactionId: 100, cardId: CARD, redeemed: 300, refundedBefore: 50, returned: 150, at: NOW, transactionId: 1, channelId: channel.id,
    });
    expect(o.approved && o.effects).toEqual([
      { type: 'lot_restore', entry: 0, cardId: CARD, lotId: 42, points: 50 },
      { type: 'lot_restore', entry: 0, cardId: CARD, lotId: 41, points: 100 },
    ]);
  });
});
