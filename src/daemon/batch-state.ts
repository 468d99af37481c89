import type pg from 'pg';
import type { Posting } from '../ledger/entry.js';
import { readHolds, type Hold } from '../ledger/holds.js';
import { InvariantError } from '../errors.js';
import type { ProgramInfo, RegistryCache } from './registry-cache.js';
import type { CardState, TxnState } from './handlers/types.js';
import { CLAIM_SQL, LOCK_BARE_CARDS_SQL, LOCK_CARDS_SQL, LOCK_DATES_SQL, LOCK_TXNS_SQL, POSTINGS_SQL } from './batch-sql.js';
import { keyOf, type WorkItem } from './work-item.js';

/** A key to claim: the message's own row ('pending'), or a marker under a reversal's original key. */
export interface Claim {
  channelId: number;
  requestId: string;
  type: string | null;
  cardId: number | null;
  merchantId: number | null;
  terminalId: number | null;
  amount: number | null;
  bodyHash: Buffer | null;
  status: 'pending' | 'marker';
}

/** The claim of a message's own key, 'pending' until the batch writes its outcome. */
export function claimOf(i: WorkItem, cardId: number | null): Claim {
  return {
    channelId: i.channel.id, requestId: i.msg.requestId, type: i.msg.type, cardId, merchantId: i.merchant.info?.id ?? null,
    terminalId: i.merchant.terminalId, amount: i.msg.amount, bodyHash: i.bodyHash, status: 'pending',
  };
}

/**
 * Claims keys (CLAIM_SQL) and returns the business date and the ids of the rows inserted, by key.
 * Keys not in the map were already taken.
 */
export async function claimKeys(client: pg.ClientBase, calendarDate: string, now: Date, claims: readonly Claim[], ids: readonly number[]): Promise<{ businessDate: string; ids: Map<string, number> }> {
  const { rows } = await client.query<ClaimRow>({ name: 'daemon_claim', text: CLAIM_SQL, values: claimValues(calendarDate, now, claims, ids) });
  return claimed(rows);
}

export type ClaimRow = { business_date: string; id: number | null; channel_id: number | null; request_id: string | null };

/** The parameters of CLAIM_SQL: the claims, and the id of the row each would insert. */
export function claimValues(calendarDate: string, now: Date, claims: readonly Claim[], ids: readonly number[]): unknown[] {
  return [
    calendarDate, claims.map((c) => c.channelId), claims.map((c) => c.requestId), claims.map((c) => c.type), claims.map((c) => c.cardId),
    claims.map((c) => c.merchantId), claims.map((c) => c.terminalId), claims.map((c) => c.amount), claims.map((c) => c.bodyHash),
    claims.map((c) => c.status), now, ids,
  ];
}

/** The business date and the ids of the rows CLAIM_SQL inserted, by key. */
export function claimed(rows: readonly ClaimRow[]): { businessDate: string; ids: Map<string, number> } {
  const ids = new Map<string, number>();
  for (const r of rows) if (r.id !== null) ids.set(keyOf(r.channel_id!, r.request_id!), r.id);
  return { businessDate: rows[0]!.business_date, ids };
}

interface TxnRow {
  id: number; channel_id: number; request_id: string; type: string | null; card_id: number | null; merchant_id: number | null;
  terminal_id: number | null; asset: string | null; amount_requested: number | null; amount_approved: number; approved: boolean;
  response_code: string | null; business_date: string; original_id: number | null; entry_id: number | null; hold_id: number | null;
  status: TxnState['status']; commission: number; channel_fee: number; refunded_amount: number; body_hash: Buffer | null; response: unknown;
}

function txnState(r: TxnRow): TxnState {
  return {
    id: r.id, channelId: r.channel_id, requestId: r.request_id, type: r.type, cardId: r.card_id, merchantId: r.merchant_id,
    terminalId: r.terminal_id, asset: r.asset, amountRequested: r.amount_requested, amountApproved: r.amount_approved, approved: r.approved,
    responseCode: r.response_code, businessDate: r.business_date, originalId: r.original_id, entryId: r.entry_id, holdId: r.hold_id,
    status: r.status, commission: r.commission, channelFee: r.channel_fee, refundedAmount: r.refunded_amount,
    bodyHash: r.body_hash, response: r.response,
  };
}

/** A fresh marker row (just claimed for a reversal whose original is unknown). */
export function markerState(id: number, channelId: number, requestId: string, businessDate: string): TxnState {
  return {
    id, channelId, requestId, type: null, cardId: null, merchantId: null, terminalId: null, asset: null, amountRequested: null,
    amountApproved: 0, approved: false, responseCode: null, businessDate, originalId: null, entryId: null, holdId: null, status: 'marker',
    commission: 0, channelFee: 0, refundedAmount: 0, bodyHash: null, response: null,
  };
}

/** Locks (LOCK_TXNS_SQL) and reads the stored transactions under these keys (and refunds' purchases). */
export async function lockTxns(client: pg.ClientBase, keys: readonly { channelId: number; requestId: string }[]): Promise<TxnState[]> {
  if (keys.length === 0) return [];
  const { rows } = await client.query<TxnRow>({
    name: 'daemon_lock_txns', text: LOCK_TXNS_SQL, values: [keys.map((k) => k.channelId), keys.map((k) => k.requestId)],
  });
  return rows.map(txnState);
}

/** Takes shared locks on earlier business dates; returns which are still open. */
export async function lockDates(client: pg.ClientBase, dates: readonly string[]): Promise<Map<string, boolean>> {
  if (dates.length === 0) return new Map();
  const { rows } = await client.query<{ d: string; open: boolean }>({ name: 'daemon_lock_dates', text: LOCK_DATES_SQL, values: [dates] });
  return new Map(rows.map((r) => [r.d, r.open]));
}

interface CardRow { id: number; program_id: number; status: string; expiry_date: string | null; pin_hmac: Buffer | null; pin_tries: number; last_activity_at: Date | null; needs_holder: boolean }

/** Locks cards with all their accounts (ascending id) and returns their state with program settings. */
export async function lockCards(client: pg.ClientBase, registry: RegistryCache, cardIds: readonly number[]): Promise<Map<number, CardState>> {
  if (cardIds.length === 0) return new Map<number, CardState>();
  const sorted = lockOrder(cardIds);
  const { rows } = await client.query<CardAccountRow>({ name: 'daemon_lock_cards', text: LOCK_CARDS_SQL, values: [sorted] });
  return cardStates(client, registry, sorted, rows);
}

export type CardAccountRow = CardRow & { asset: string; balance: number; held: number };

/** Card ids without repeats in ascending order: the one order every batch and job locks cards in. */
export function lockOrder(cardIds: readonly number[]): number[] {
  return [...new Set(cardIds)].sort((a, b) => a - b);
}

/**
 * Card states from LOCK_CARDS_SQL rows for `sorted` (lockOrder); cards without any account row
 * (absent from those rows) are locked and read here, after the others (as lockCards always did).
 */
export async function cardStates(client: pg.ClientBase, registry: RegistryCache, sorted: readonly number[], rows: readonly CardAccountRow[]): Promise<Map<number, CardState>> {
  const cards = new Map<number, CardState>();
  const add = (r: CardRow) => {
    let c = cards.get(r.id);
    if (!c) {
      c = { id: r.id, programId: r.program_id, program: undefined!, status: r.status, expiryDate: r.expiry_date, pinHmac: r.pin_hmac, pinTries: r.pin_tries, lastActivityAt: r.last_activity_at, needsHolder: r.needs_holder, accounts: new Map(), patch: {} };
      cards.set(r.id, c);
    }
    return c;
  };
  for (const r of rows) add(r).accounts.set(r.asset, { balance: r.balance, held: r.held });
  const bare = sorted.filter((id) => !cards.has(id));
  if (bare.length > 0) {
    const { rows: more } = await client.query<CardRow>({ name: 'daemon_lock_bare_cards', text: LOCK_BARE_CARDS_SQL, values: [bare] });
    more.forEach(add);
  }
  for (const c of cards.values()) c.program = await programOf(registry, c);
  return cards;
}

/** A card's program settings (from the registry cache). */
export async function programOf(registry: RegistryCache, card: { id: number; programId: number }): Promise<ProgramInfo> {
  const program = await registry.program(card.programId);
  if (!program) throw new InvariantError('program_missing', `card ${card.id}: program ${card.programId} not found`);
  return program;
}

/** Holds and original postings that undo/capture decisions read (only when the batch has such messages). */
export async function loadUndoData(client: pg.ClientBase, holdIds: readonly number[], entryIds: readonly number[]): Promise<{ holds: Map<number, Hold>; postings: Map<number, Posting[]> }> {
  const holds = await readHolds(client, [...new Set(holdIds)]);
  const postings = new Map<number, Posting[]>();
  if (entryIds.length > 0) {
    const { rows } = await client.query<{ entry_id: number } & Posting>({ name: 'daemon_postings', text: POSTINGS_SQL, values: [[...new Set(entryIds)]] });
    for (const r of rows) {
      const list = postings.get(r.entry_id) ?? [];
      list.push({ account: r.account, asset: r.asset, amount: r.amount });
      postings.set(r.entry_id, list);
    }
  }
  return { holds, postings };
}
