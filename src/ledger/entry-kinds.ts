import type { EntryKind } from './entry.js';

/** Settlement category of a kind's legs: the column of the settlement files they count in (design §6). */
export type EntryCategory =
  | 'bulk_load' | 'card_fee' | 'load' | 'purchase' | 'refund' | 'undo'
  | 'points_earn' | 'points_redeem' | 'points_load' | 'points_exchange' | 'points_expiry' | 'points_revaluation'
  | 'lottery' | 'lottery_prize' | 'replacement' | 'cash_out' | 'dormancy_fee' | 'breakage' | 'escheat' | 'breakage_memo'
  | 'settlement' | 'payment';

/** How a kind's card-value legs count in a proportional-breakage cohort. */
export type CohortFlow = 'load' | 'redemption' | 'transfer' | 'derecognition';

/** How one entry kind counts (the columns of the entry_kinds table). */
export interface EntryKindInfo {
  /** Settlement category; `undo` (void, reversal) files under the category of the entry undone. */
  category: EntryCategory;
  /** Whether a card leg of it counts as a transaction in the settlement files. */
  counted: boolean;
  cohortFlow: CohortFlow;
  /** Whether its postings are card activity (dormancy, liability ageing). */
  activity: boolean;
}

const k = (category: EntryCategory, counted: boolean, cohortFlow: CohortFlow, activity = true): EntryKindInfo => ({ category, counted, cohortFlow, activity });

/**
 * Every entry kind and how settlement, breakage and dormancy count it: the entry_kinds table
 * (migration 000210), which the SQL reads and which refuses an entry of a kind it does not list.
 * `satisfies Record<EntryKind, …>` makes a kind added to EntryKind without a row here a type error;
 * test/ledger/entry-kinds.test.ts makes a difference from the table a test failure.
 */
export const ENTRY_KINDS = {
  bulk_load: k('bulk_load', true, 'load'),
  card_fee: k('card_fee', true, 'redemption'),
  activate: k('load', true, 'load'),
  load: k('load', true, 'load'),
  purchase: k('purchase', true, 'redemption'),
  capture: k('purchase', true, 'redemption'),
  refund: k('refund', true, 'redemption'),
  void: k('undo', false, 'redemption'),
  reversal: k('undo', false, 'redemption'),
  points_earn: k('points_earn', true, 'redemption'),
  points_redeem: k('points_redeem', true, 'redemption'),
  points_load: k('points_load', true, 'redemption'),
  points_exchange: k('points_exchange', true, 'redemption'),
  points_clawback: k('points_earn', false, 'redemption'),
  points_expiry: k('points_expiry', true, 'redemption'),
  points_revaluation: k('points_revaluation', true, 'redemption'),
  lottery: k('lottery', true, 'redemption'),
  lottery_prize: k('lottery_prize', false, 'redemption'),
  replacement: k('replacement', true, 'transfer'),
  cash_out: k('cash_out', true, 'redemption'),
  dormancy_fee: k('dormancy_fee', true, 'redemption', false),
  breakage: k('breakage', true, 'derecognition'),
  breakage_reversal: k('breakage', false, 'derecognition'),
  escheat: k('escheat', true, 'derecognition'),
  breakage_memo: k('breakage_memo', true, 'redemption'),
  settlement: k('settlement', true, 'redemption'),
  payment: k('payment', true, 'redemption'),
} as const satisfies Record<EntryKind, EntryKindInfo>;
