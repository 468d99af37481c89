/**
 * The money-flows table of design §4 in one place: one pure function per row, each returning the
 * row's legs (balanced per asset; test/ledger/flows.test.ts walks the table row by row with worked
 * numbers). Every producer of postings builds its legs here and wraps them with `balancedEntry`
 * (kind, time, links), so a flow's arithmetic and rounding exist once.
 *
 * Rows posted set-based in SQL, whose legs never leave the database, spell the same legs there:
 * bulk loads from files (batch/load-apply.ts → ledger/bulk.ts postCardCredits: card value +a,
 * issuer −a per row, the `bulkLoad` row; shipping a million rows through TypeScript would undo the
 * point of COPY), and settlement positions and points revaluation (settlement/settle-post.ts →
 * ledger/bulk.ts postPairedEntries: the `settlePosition` and `pointsRevaluation` rows).
 */
export {
  bulkLoad, posLoad, cardFee, commissionOf, spend, channelFeeOf, channelFeeLegs, isChannelFeeLeg,
  refundCommission, refund, undo, replacementTransfer, cashOut, type CardBalance,
} from './stored-value.js';
export {
  earnedPoints, exchangedPoints, pointsEarn, pointsLoad, pointsClawback, pointsRedeem, pointsExchange,
  lotteryDraw, lotteryGoodsPrize, pointsExpiry, pointsRevaluation, type SchemePrices,
} from './points.js';
export { dormancyFee, remoteBreakage, escheat, breakageReversal, breakageMemo, type BreakageTarget } from './residual.js';
export { settlePosition, payment } from './settlement.js';
