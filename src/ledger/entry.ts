import { InvariantError } from '../errors.js';

/** One leg: a signed integer amount of an asset on an account (positive: the platform owes the holder more). */
export interface Posting {
  account: string;
  asset: string;
  amount: number;
}

/**
 * Entry kinds (entries.kind, copied to postings.entry_kind). Settlement and reports group by them,
 * so a new business event gets a new kind here rather than reusing one with other meaning, plus
 * its row in ENTRY_KINDS (entry-kinds.ts) and in the entry_kinds table (a migration): the database
 * refuses an entry of a kind that table does not list.
 */
export type EntryKind =
  // stored value
  | 'bulk_load' | 'card_fee' | 'activate' | 'load' | 'purchase' | 'capture' | 'refund' | 'void' | 'reversal'
  // points
  | 'points_earn' | 'points_redeem' | 'points_load' | 'points_exchange' | 'points_clawback' | 'points_expiry'
  | 'points_revaluation' | 'lottery' | 'lottery_prize'
  // card life and residual value
  | 'replacement' | 'cash_out' | 'dormancy_fee' | 'breakage' | 'breakage_reversal' | 'escheat' | 'breakage_memo'
  // settlement
  | 'settlement' | 'payment';

/** A balanced entry ready to post. Build it with `balancedEntry`; never by hand. */
export interface Entry extends EntryOptions {
  readonly kind: EntryKind;
  readonly postings: readonly Posting[];
}

export interface EntryOptions {
  /** Business time from the context clock. */
  readonly occurredAt: Date;
  /** Post into this business date instead of the batch's date (e.g. a reversal joins its original's open date). */
  readonly businessDate?: string | null;
  readonly transactionId?: number | null;
  readonly merchantId?: number | null;
  readonly channelId?: number | null;
  readonly reversesEntryId?: number | null;
  /**
   * Free-form facts of the entry. Two keys are copied onto its postings for settlement: `scheme`
   * (the points scheme of a points entry, or of the points entry an undo undoes) and `reverses`
   * (for a void or reversal: the kind of the entry it undoes; required, postings refuse a void or
   * reversal without it).
   */
  readonly memo?: Record<string, unknown> | null;
}

/**
 * The balanced-entry constructor (house style §7): drops zero legs, merges legs on the same
 * account and asset, and throws unless every amount is a safe integer and the legs sum to zero
 * per asset. The database checks the same again.
 */
export function balancedEntry(kind: EntryKind, legs: readonly Posting[], opts: EntryOptions): Entry {
  const merged = new Map<string, Posting>();
  const totals = new Map<string, number>();
  for (const leg of legs) {
    if (!Number.isSafeInteger(leg.amount)) throw new InvariantError('unsafe_amount', `${kind}: amount ${leg.amount} on ${leg.account} is not a safe integer`);
    const key = `${leg.account}\u0000${leg.asset}`;
    const prev = merged.get(key);
    merged.set(key, { account: leg.account, asset: leg.asset, amount: (prev?.amount ?? 0) + leg.amount });
    totals.set(leg.asset, (totals.get(leg.asset) ?? 0) + leg.amount);
  }
  for (const [asset, total] of totals) {
    if (total !== 0) throw new InvariantError('unbalanced_entry', `${kind}: asset ${asset} sums to ${total}, not 0`);
  }
  const postings = [...merged.values()].filter((p) => p.amount !== 0);
  // Options first: an Entry passed as options must not replace the legs just checked.
  return { ...opts, kind, postings };
}

/** The same entry with every leg negated (voids, reversals, reactivation after breakage). */
export function negatedLegs(postings: readonly Posting[]): Posting[] {
  return postings.map((p) => ({ ...p, amount: -p.amount }));
}
