import type { Context } from '../../context.js';
import type { Entry, EntryKind, Posting } from '../../ledger/entry.js';
import type { Hold, HoldClose } from '../../ledger/holds.js';
import type { Keyring } from '../../cards/keys.js';
import type { PointsEffect } from '../../points/outcome.js';
import type { PointsView } from '../../points/view.js';
import type { Message, RequestSchema } from '../message.js';
import type { ResponseCode } from '../codes.js';
import type { ChannelInfo, MerchantInfo, ProgramInfo } from '../registry-cache.js';

/** A card as locked for one batch; decisions update `accounts` in memory as they go. */
export interface CardState {
  id: number;
  programId: number;
  program: ProgramInfo;
  status: string;
  expiryDate: string | null;
  pinHmac: Buffer | null;
  pinTries: number;
  /** A card of a named program without a linked holder (absent: false): types with `requiresHolder` decline 57 (design §10). */
  needsHolder?: boolean;
  /** asset → balance and held, as of the previous decision in this batch. */
  accounts: Map<string, { balance: number; held: number }>;
  /** Changes to write to the cards row at the end of the batch. */
  patch: { status?: string; pinTries?: number; activatedAt?: Date };
}

export type TxnStatus = 'approved' | 'declined' | 'voided' | 'reversed' | 'marker';

/** A stored transaction (an original, a replayed request or a marker) locked for this batch. */
export interface TxnState {
  id: number;
  channelId: number;
  requestId: string;
  type: string | null;
  cardId: number | null;
  merchantId: number | null;
  terminalId: number | null;
  asset: string | null;
  amountRequested: number | null;
  amountApproved: number;
  approved: boolean;
  responseCode: string | null;
  businessDate: string;
  originalId: number | null;
  entryId: number | null;
  holdId: number | null;
  status: TxnStatus;
  commission: number;
  channelFee: number;
  refundedAmount: number;
  bodyHash: Buffer | null;
  response: unknown;
  /** The commission rate of the row's merchant now (a capture naming no merchant is charged at it). */
  commissionBps: number | null;
  /** For an original named by a reversal and stamped on another business date: whether that date is still open (its shared lock is held). */
  dateOpen: boolean | null;
  /** Set when a decision changed status or refunded_amount (written back at the end of the batch). */
  dirty?: boolean;
}

/** Everything a decision may read, for one message of a batch. */
export interface DecideContext {
  msg: Message;
  channel: ChannelInfo;
  merchant: MerchantInfo | null;
  terminalId: number | null;
  /** The message's card (for original-based types: the original's card), locked; null if unknown. */
  card: CardState | null;
  /** The original named by original_request_id on this channel, locked; null if unknown. */
  original: TxnState | null;
  /** Stored transaction by id (originals and, for refunds, their originals). */
  txn(id: number): TxnState | undefined;
  hold(id: number): Hold | undefined;
  /** Postings of an original's entry (loaded for voids and reversals). */
  postings(entryId: number): readonly Posting[];
  /** Whether a past business date is still open (locked for this batch); see lock_business_date_if_open. */
  dateOpen(date: string): boolean;
  businessDate: string;
  now: Date;
  keys: Keyring;
  /** Handler of another type (void/reversal/refund ask the original's handler how to undo it). */
  handlerOf(type: string): Handler | undefined;
  /** Batch-wide data decisions share (points earned on purchases, linked-earn claw-backs). */
  extra: Map<string, unknown>;
  /** The daemon's context (points lots take their expiry from its calendar). */
  ctx: Context;
  /** The id of this message's own transaction row (points records name it). */
  transactionId: number;
  /** What the points types decide over (prefetched); null in a batch without points messages. */
  points: PointsView | null;
  /** A lottery's draw value, taken before deciding (the CSPRNG). */
  draw: number | null;
}

/** What one message decided. Only `code` is required; the core applies the rest in memory and SQL. */
export interface Outcome {
  code: ResponseCode;
  amountApproved?: number;
  /** Entries to post (the first is recorded as the transaction's entry_id); transactionId is filled in. */
  entries?: Entry[];
  /** The original this message refers to, stored as original_id. */
  originalId?: number | null;
  /** Place a hold (preauth). */
  placeHold?: { asset: string; amount: number; expiresAt: Date };
  closeHold?: { holdId: number; status: HoldClose };
  commission?: number;
  channelFee?: number;
  /** Asset of the amounts (defaults to the card program's currency). */
  asset?: string;
  /** Whether the response shows the card's balance (default: when the card is known and was not refused for security reasons). */
  showBalance?: boolean;
  /**
   * Points bookkeeping written with the entries (lots, draws, claw-back records): each part's
   * effects name entries by index from `offset` in `entries`.
   */
  points?: readonly PointsPart[];
  /** Type-specific facts shown in the response as `detail` (points earned, prize, claw-back shortfall…). */
  detail?: Record<string, unknown>;
}

/** The bookkeeping of one points approval within an outcome. */
export interface PointsPart { offset: number; effects: readonly PointsEffect[] }

export type UndoKind = 'void' | 'reversal';

/**
 * What a type needs prefetched (design §2). The prefetch (purse_prefetch, one round trip) reads,
 * for the whole batch: the cards named by PAN for types with `card: 'message'`; for types with
 * `original`, the original's row (locked), its hold, its entry's postings, the points earned on it,
 * its card, and for a reversal the lock on its business date.
 */
export interface Needs {
  /** Where the message's card comes from: the PAN it names, or its original (capture, void, reversal, refund). */
  card: 'message' | 'original';
  /** Whether it may name an original by `original_request_id`. */
  original: boolean;
}

/**
 * A message type. Adding a type = adding a module that exports one of these and listing it in
 * handlers/index.ts; the front ends and the batch pipeline stay as they are.
 */
export interface Handler {
  readonly type: string;
  readonly schema: RequestSchema;
  /** What the prefetch reads for it. */
  readonly needs: Needs;
  /** The kind of the entry its approvals post (null: it posts none of its own, or its original's type decides). */
  readonly entryKind: EntryKind | null;
  /** Check the PIN when the card's program requires one. */
  readonly needsPin: boolean;
  /** Card status and expiry checks do not apply (balance skips expiry, reversal skips all). */
  readonly skipStatus?: 'expiry' | 'all';
  /** Named programs need a linked holder before the card takes it (57 otherwise, design §10): activate, load. */
  readonly requiresHolder?: boolean;
  /** The merchant must accept the card's program (57); default true for card-bearing types. */
  readonly checksProgram?: boolean;
  /** Its decision reads and changes the card's points lots (a batch decides one such message per card: batch.ts). */
  readonly touchesLots?: boolean;
  /**
   * Decides one message over the prefetched state; runs after the generic checks (precedence.ts)
   * passed. Pure and synchronous: no database, no clock, no I/O.
   */
  decide(dc: DecideContext): Outcome;
  /** How a void or reversal undoes an original of this type (default: negate its entry). */
  undo?(kind: UndoKind, original: TxnState, dc: DecideContext): Outcome | null;
  /** How a refund of `amount` against an original of this type is posted; absent = not refundable (12). */
  refund?(amount: number, original: TxnState, dc: DecideContext): Outcome;
}
