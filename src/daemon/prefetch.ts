import type { Hold } from '../ledger/holds.js';
import type { Posting } from '../ledger/entry.js';
import { InvariantError } from '../errors.js';
import type { RegistryCache } from './registry-cache.js';
import type { CardState, TxnState } from './handlers/types.js';
import type { LinkedEarn } from './handlers/points-links.js';
import { keyOf } from './work-item.js';
import { pointsView, type PointsView } from '../points/view.js';

/** A key the batch claims: a message's own (channel, request_id), or an original it names. */
export interface Key { channelId: number; requestId: string }

/** The prefetch's inputs (design §2): everything is known before the transaction but the state. */
export interface PrefetchInput {
  /** The calendar date of the batch's time; the business date is the first open one from it. */
  calendarDate: string;
  /** Every key of the batch: the messages' own first, then the originals they name (distinct). */
  keys: readonly Key[];
  /** Positions (0-based) in `keys` of originals named by a reversal: their business date's lock is taken. */
  reversalKeys: readonly number[];
  /** PAN tokens of the messages that name a card. */
  tokens: readonly Buffer[];
  /** Transaction ids to take from the sequence: one per message and per reversal's original (a possible marker). */
  newIds: number;
  /** The batch's time (rates in force). */
  at: Date;
  /** The points messages' merchants and PAN tokens, and the games named: their points state is read (none: not read). */
  points: { merchantIds: readonly number[]; tokens: readonly Buffer[]; games: readonly string[] };
}

/** What the decisions of a batch read, locked (originals, then cards) until the batch commits. */
export interface Prefetched {
  businessDate: string;
  /** Ids for the batch's new rows, in the order they were asked for. */
  ids: number[];
  /** Entry ids taken ahead: one per message (the entry each message may post). */
  entryIds: number[];
  /** Stored transactions under the batch's keys (and purchases of refunds among them), by key and by id. */
  byKey: Map<string, TxnState>;
  byId: Map<number, TxnState>;
  /** Card id by PAN token (hex). */
  cardByToken: Map<string, number>;
  /** Card id by PAN, for the batch's messages (filled by the batch from its tokens). */
  cardByPan: Map<string, number>;
  cards: Map<number, CardState>;
  holds: Map<number, Hold>;
  postings: Map<number, Posting[]>;
  /** Approved points_earn linked to each original purchase (by the purchase's id). */
  earns: Map<number, LinkedEarn[]>;
  /** What the batch's points messages decide over; null when it has none. */
  points: PointsView | null;
}

/** The SQL of the prefetch: migration 000140's function (as migration 000182 replaced it), one call per batch. */
export const PREFETCH_SQL = `select purse_prefetch($1::date, $2::bigint[], $3::text[], $4::int[], $5::bytea[], $6::int, $7::timestamptz,
  $8::bigint[], $9::bytea[], $10::text[]) as p`;

/** The parameters of PREFETCH_SQL. */
export function prefetchValues(input: PrefetchInput): unknown[] {
  return [
    input.calendarDate, input.keys.map((k) => k.channelId), input.keys.map((k) => k.requestId), input.reversalKeys.map((n) => n + 1),
    input.tokens, input.newIds, input.at, input.points.merchantIds, input.points.tokens, input.points.games,
  ];
}

/** A bytea as json_build_object renders it ("\x…" hex). */
function bytes(v: string | null): Buffer | null {
  return v === null ? null : Buffer.from(v.slice(2), 'hex');
}

interface TxnJson {
  id: number; channel_id: number; request_id: string; type: string | null; card_id: number | null; merchant_id: number | null;
  terminal_id: number | null; asset: string | null; amount_requested: number | null; amount_approved: number; approved: boolean;
  response_code: string | null; business_date: string; original_id: number | null; entry_id: number | null; hold_id: number | null;
  status: TxnState['status']; commission: number; channel_fee: number; refunded_amount: number; body_hash: string | null; response: unknown;
  commission_bps: number | null; date_open: boolean | null;
}

interface PrefetchJson {
  business_date: string;
  ids: number[];
  txns: TxnJson[];
  tokens: { id: number; token: string }[];
  cards: { id: number; program_id: number; status: string; expiry_date: string | null; pin_hmac: string | null; pin_tries: number; needs_holder: boolean }[];
  accounts: { card_id: number; asset: string; balance: number; held: number }[];
  earns: { id: number; original_id: number; card_id: number; amount: number }[];
  holds: { id: number; card_id: number; asset: string; amount: number; remaining: number; expires_at: string; status: Hold['status'] }[];
  postings: ({ entry_id: number } & Posting)[];
  points: unknown;
}

function txnState(r: TxnJson): TxnState {
  return {
    id: r.id, channelId: r.channel_id, requestId: r.request_id, type: r.type, cardId: r.card_id, merchantId: r.merchant_id,
    terminalId: r.terminal_id, asset: r.asset, amountRequested: r.amount_requested, amountApproved: r.amount_approved, approved: r.approved,
    responseCode: r.response_code, businessDate: r.business_date, originalId: r.original_id, entryId: r.entry_id, holdId: r.hold_id,
    status: r.status, commission: r.commission, channelFee: r.channel_fee, refundedAmount: r.refunded_amount,
    bodyHash: bytes(r.body_hash), response: r.response, commissionBps: r.commission_bps, dateOpen: r.date_open,
  };
}

/**
 * The batch's state from the prefetch's JSON document, with each card's program settings (from
 * the registry cache: programs change rarely and are not part of the locked state).
 */
export async function readPrefetched(doc: unknown, registry: RegistryCache, entryIds: number[]): Promise<Prefetched> {
  const p = doc as PrefetchJson;
  const byKey = new Map<string, TxnState>();
  const byId = new Map<number, TxnState>();
  for (const r of p.txns) {
    const t = txnState(r);
    byKey.set(keyOf(t.channelId, t.requestId), t);
    byId.set(t.id, t);
  }
  const cards = new Map<number, CardState>();
  for (const c of p.cards) {
    const program = await registry.program(c.program_id);
    if (!program) throw new InvariantError('program_missing', `card ${c.id}: program ${c.program_id} not found`);
    cards.set(c.id, {
      id: c.id, programId: c.program_id, program, status: c.status, expiryDate: c.expiry_date, pinHmac: bytes(c.pin_hmac), pinTries: c.pin_tries,
      needsHolder: c.needs_holder, accounts: new Map(), patch: {},
    });
  }
  for (const a of p.accounts) cards.get(a.card_id)?.accounts.set(a.asset, { balance: a.balance, held: a.held });
  const holds = new Map<number, Hold>(p.holds.map((h) => [h.id, {
    id: h.id, cardId: h.card_id, asset: h.asset, amount: h.amount, remaining: h.remaining, expiresAt: new Date(h.expires_at), status: h.status,
  }]));
  const postings = new Map<number, Posting[]>();
  for (const r of p.postings) {
    const list = postings.get(r.entry_id) ?? [];
    list.push({ account: r.account, asset: r.asset, amount: r.amount });
    postings.set(r.entry_id, list);
  }
  const earns = new Map<number, LinkedEarn[]>();
  for (const e of p.earns) earns.set(e.original_id, [...(earns.get(e.original_id) ?? []), { transactionId: e.id, cardId: e.card_id, amount: e.amount }]);
  return {
    businessDate: p.business_date, ids: p.ids, entryIds, byKey, byId, cardByToken: new Map(p.tokens.map((t) => [t.token.slice(2), t.id])), cardByPan: new Map(),
    cards, holds, postings, earns,
    // Points balances as the batch's decisions leave them (its cards' accounts in memory).
    points: p.points === null ? null : pointsView(p.points, (cardId, asset) => cards.get(cardId)?.accounts.get(asset)?.balance ?? 0),
  };
}
