import type pg from 'pg';
import type { Context } from '../context.js';
import { luhnValid } from '../cards/luhn.js';
import { businessDateOf } from '../ledger/calendar.js';
import type { Hold } from '../ledger/holds.js';
import type { Posting } from '../ledger/entry.js';
import type { RegistryCache } from './registry-cache.js';
import type { CardState, Handler, Outcome, TxnState } from './handlers/types.js';
import {
  cardStates, claimed, claimKeys, claimOf, claimValues, lockCards, lockDates, lockOrder, lockTxns, loadUndoData, markerState,
  type CardAccountRow, type Claim, type ClaimRow,
} from './batch-state.js';
import { ensurePrepared, execute, runFused } from './fused.js';
import { FUSED, FUSED_STATEMENTS } from './batch-fused.js';
import { decideOne, makeContext, type Loaded } from './decide.js';
import { applyInMemory, writeBatch, type RowWrite } from './batch-write.js';
import { isApproval } from './codes.js';
import { postEntries } from '../ledger/post.js';
import { keyOf, type CoreResult, type WorkItem } from './work-item.js';
import { runOneTrip } from './one-trip.js';
import type { CardMemory } from './card-memory.js';
import type { IdPool } from './id-pool.js';

export interface BatchEnv {
  ctx: Context;
  registry: RegistryCache;
  handlers: ReadonlyMap<string, Handler>;
  /** Cards as the last batches committed them (one-trip.ts). */
  memory: CardMemory;
  /** Transaction and entry ids taken ahead (one-trip.ts). */
  ids: { transactions: IdPool; entries: IdPool };
}

/** How a batch ran: one round trip, two (fused), or step by step. */
export type BatchPath = 'one_trip' | 'fused' | 'step';

export interface BatchResult {
  results: Map<WorkItem, CoreResult>;
  /** Items to run in the next batch (a repeat of a key in this batch, or a message about an original in it). */
  deferred: WorkItem[];
  path: BatchPath;
}

const ownKey = (i: WorkItem) => keyOf(i.channel.id, i.msg.requestId);
const originalKey = (i: WorkItem) => keyOf(i.channel.id, i.msg.originalRequestId!);
/** Whether a message names an original: capture, void, reversal, refund, and a points_earn linked to its purchase. */
const namesOriginal = (i: WorkItem) => i.msg.originalRequestId !== null;

/**
 * Runs messages as ONE database transaction on `client` (design §7 micro-batching):
 * begin; claim every idempotency key (one statement, also the business-date lock); lock the
 * originals referred to (id order) and the cards (ascending id; with the cards of points earned on
 * purchases being undone) — only then decide each message in arrival order against the locked state
 * kept in memory (a points message is posted and finished right after its decision, `immediate`,
 * as the next decision on its card reads its lots); post all other entries in one statement; write
 * holds, rows and card changes; commit. A purchase-only batch costs one round trip whatever its
 * size when its cards are remembered (one-trip.ts, which decides first and checks after locking),
 * else two (the fused path below); one with originals about six.
 * Throws on any database error without resolving anything: the caller retries or splits the batch.
 */
export async function runBatch(env: BatchEnv, client: pg.ClientBase, items: readonly WorkItem[]): Promise<BatchResult> {
  const { active, deferred } = partition(items);
  const now = env.ctx.clock.now();
  const pans = active.filter((i) => !i.handler.usesOriginal && i.msg.card && !i.merchant.refused && luhnValid(i.msg.card)).map((i) => i.msg.card!);
  // The PAN → card mapping never changes, so it is read before the transaction (and cached).
  const cardIds = pans.length ? await env.registry.cardIds(pans) : new Map<string, number>();
  const cardOf = (i: WorkItem) => (i.msg.card && !i.handler.usesOriginal ? cardIds.get(i.msg.card) ?? null : null);
  // Batches whose cards are known before the transaction: no message names an original (capture,
  // void, reversal, refund lock originals first, then their cards) and no handler loads data of
  // its own. They run in one round trip when their cards are remembered (one-trip.ts); else
  // fused (fused.ts), in two: begin + claim + card locks, then entries + rows + commit. If a key
  // turns out to be taken (a repeat, or a reversal's marker), the card locks came before the
  // stored rows' locks, against the lock order: it rolls back and the batch runs step by step.
  if (active.length > 0 && active.every((i) => !namesOriginal(i) && !i.handler.prepare && !i.handler.decidesInDb)) {
    try {
      await ensurePrepared(client, FUSED_STATEMENTS);
      const oneTrip = await runOneTrip(env, client, active, cardOf, now);
      if (oneTrip) return { results: oneTrip, deferred, path: 'one_trip' };
      const done = await inTransaction(env, client, active, cardOf, now, deferred, true);
      if (done) {
        if (!done.committed) await client.query('commit');
        env.memory.remember(done.cards.values());
        return { results: done.results, deferred, path: 'fused' };
      }
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    }
  }
  try {
    const done = (await inTransaction(env, client, active, cardOf, now, deferred, false))!;
    if (!done.committed) await client.query('commit');
    // Handlers' own SQL (points) may have moved these cards beyond what the batch kept in memory.
    env.memory.forget(done.cards.keys());
    return { results: done.results, deferred, path: 'step' };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

/** Splits off repeats of a key already in the batch and messages about an original in the batch. */
function partition(items: readonly WorkItem[]): { active: WorkItem[]; deferred: WorkItem[] } {
  const keys = new Set<string>();
  const first: WorkItem[] = [];
  const deferred: WorkItem[] = [];
  for (const i of items) {
    if (keys.has(ownKey(i))) deferred.push(i);
    else {
      keys.add(ownKey(i));
      first.push(i);
    }
  }
  const active: WorkItem[] = [];
  for (const i of first) {
    if (namesOriginal(i) && keys.has(originalKey(i))) deferred.push(i);
    else active.push(i);
  }
  return { active, deferred };
}

/**
 * Begins the transaction and runs the batch in it; commits too when the writes could be fused with
 * the commit (`committed`). `fused`: begin, claim and card locks in one round trip, and null
 * (rolled back, nothing resolved) when a key was already taken.
 */
async function inTransaction(
  env: BatchEnv, client: pg.ClientBase, items: WorkItem[], cardOf: (i: WorkItem) => number | null, now: Date, deferred: WorkItem[], fused: boolean,
): Promise<{ results: Map<WorkItem, CoreResult>; committed: boolean; cards: Map<number, CardState> } | null> {
  const results = new Map<WorkItem, CoreResult>();
  const claims = items.map((i) => claimOf(i, cardOf(i)));
  const markerKeys = new Map<string, Claim>();
  for (const i of items) {
    if (i.msg.type !== 'reversal') continue;
    markerKeys.set(originalKey(i), { channelId: i.channel.id, requestId: i.msg.originalRequestId!, type: null, cardId: null, merchantId: null, terminalId: null, amount: null, bodyHash: null, status: 'marker' });
  }
  const calendarDate = businessDateOf(now, env.ctx.calendar);
  const allClaims = [...claims, ...markerKeys.values()];
  // Ids from the daemon's pool, as the one-round-trip path's: transactions ids follow the order batches start in.
  const txnIds = await env.ids.transactions.take(client, allClaims.length);
  let claim: { businessDate: string; ids: Map<string, number> };
  let fusedCards: { order: number[]; rows: CardAccountRow[] } | null = null;
  if (fused) {
    const order = lockOrder(items.map(cardOf).filter((c): c is number => c !== null));
    // Generic plans: the fused statements are planned once per connection instead of at every
    // execution (custom plans for array parameters cost a few hundred µs of server CPU per batch
    // statement); LOCAL, so other users of the pooled connection keep the default.
    const statements = ['begin', 'set local plan_cache_mode = force_generic_plan', execute(FUSED.claim, claimValues(calendarDate, now, allClaims, txnIds))];
    if (order.length > 0) statements.push(execute(FUSED.lockCards, [order]));
    const res = await runFused(client, statements);
    claim = claimed(res[2] as ClaimRow[]);
    if (claim.ids.size < allClaims.length) {
      await client.query('rollback');
      env.ids.transactions.giveBack(txnIds);
      return null;
    }
    fusedCards = { order, rows: (res[3] ?? []) as CardAccountRow[] };
  } else {
    await client.query('begin');
    claim = await claimKeys(client, calendarDate, now, allClaims, txnIds);
  }
  const { businessDate, ids } = claim;

  // Stored rows this batch needs: repeats of its keys, and the originals its messages name.
  const freshMarkers = new Map<string, TxnState>();
  for (const [k, c] of markerKeys) {
    const id = ids.get(k);
    if (id !== undefined) freshMarkers.set(k, markerState(id, c.channelId, c.requestId, businessDate));
  }
  const need = new Map<string, { channelId: number; requestId: string }>();
  for (const i of items) {
    if (!ids.has(ownKey(i))) need.set(ownKey(i), { channelId: i.channel.id, requestId: i.msg.requestId });
    if (namesOriginal(i) && !freshMarkers.has(originalKey(i))) need.set(originalKey(i), { channelId: i.channel.id, requestId: i.msg.originalRequestId! });
  }
  const locked = await lockTxns(client, [...need.values()]);
  const byKey = new Map<string, TxnState>(freshMarkers);
  const byId = new Map<number, TxnState>();
  for (const t of [...locked, ...freshMarkers.values()]) {
    byId.set(t.id, t);
    byKey.set(keyOf(t.channelId, t.requestId), t);
  }

  // Repeats: an identical body gets the stored response, another body 409; a marker is a late original (94).
  const work: { item: WorkItem; txnId: number; lateOriginal: boolean }[] = [];
  for (const i of items) {
    const id = ids.get(ownKey(i));
    if (id !== undefined) {
      work.push({ item: i, txnId: id, lateOriginal: false });
      continue;
    }
    const existing = byKey.get(ownKey(i));
    if (!existing) deferred.push(i); // the row vanished meanwhile (an unused marker deleted): try again
    else if (existing.status === 'marker') work.push({ item: i, txnId: existing.id, lateOriginal: true });
    else if (existing.bodyHash?.equals(i.bodyHash)) results.set(i, { kind: 'response', response: existing.response as never, replay: true });
    else results.set(i, { kind: 'conflict' });
  }

  const originalOf = (i: WorkItem) => (namesOriginal(i) ? byKey.get(originalKey(i)) ?? null : null);
  const pastDates = new Set<string>();
  for (const w of work) {
    const o = originalOf(w.item);
    if (w.item.msg.type === 'reversal' && o && o.approved && o.businessDate !== businessDate) pastDates.add(o.businessDate);
  }
  const openDates = await lockDates(client, [...pastDates].sort());

  const cardIdOfWork = (w: { item: WorkItem }) => (w.item.handler.usesOriginal ? originalOf(w.item)?.cardId ?? null : cardOf(w.item));
  const originals = work.map((w) => originalOf(w.item)).filter((o): o is TxnState => o !== null);
  const extra = new Map<string, unknown>();
  const dependentCards = originals.length ? await loadDependents(env, client, originals, byId, extra) : [];
  const cards = fusedCards
    ? await cardStates(client, env.registry, fusedCards.order, fusedCards.rows)
    : await lockCards(client, env.registry, [...work.map(cardIdOfWork).filter((c): c is number => c !== null), ...dependentCards]);

  const undoData = originals.length
    ? await loadUndoData(client, originals.flatMap((o) => (o.holdId === null ? [] : [o.holdId])), originals.flatMap((o) => (o.entryId === null ? [] : [o.entryId])))
    : { holds: new Map<number, Hold>(), postings: new Map<number, Posting[]>() };

  const loaded: Loaded = { cards, byId, undoData, openDates, extra };
  const contexts = work.map((w) => makeContext(env, client, w.item, w.txnId, cardIdOfWork(w), originalOf(w.item), loaded, businessDate, now));
  for (const handler of new Set(work.map((w) => w.item.handler))) {
    if (handler.prepare) await handler.prepare(client, contexts.filter((dc) => dc.msg.type === handler.type), extra);
  }

  const writes: RowWrite[] = [];
  for (const [n, w] of work.entries()) {
    const dc = contexts[n]!;
    let decided = w.lateOriginal ? { code: '94' as const } : decideOne(w.item, dc);
    if (decided instanceof Promise) decided = await decided;
    const outcome: Outcome = decided.immediate ? await postImmediately(client, businessDate, w.txnId, decided) : decided;
    const write: RowWrite = {
      item: w.item, txnId: w.txnId, outcome, card: dc.card, cardIdForRow: dc.card?.id ?? cardIdOfWork(w),
      merchantIdForRow: w.item.msg.merchant === null ? originalOf(w.item)?.merchantId ?? null : w.item.merchant.info?.id ?? null,
    };
    applyInMemory(write, cards, undoData.holds, now, env.ctx.calendar.timezone);
    writes.push(write);
  }
  const unusedMarkers = [...freshMarkers.values()].filter((m) => !writes.some((w) => w.outcome.originalId === m.id && w.outcome.code === '00')).map((m) => m.id);
  const { responses, committed } = await writeBatch(
    client, businessDate, now, writes, cards, [...byId.values()].filter((t) => t.dirty), unusedMarkers, { commit: fused },
  );
  writes.forEach((w, n) => results.set(w.item, { kind: 'response', response: responses[n]!, replay: false }));
  return { results, committed, cards };
}

/**
 * Runs the `dependents` hooks of the originals' types (and of the purchases that refunds among them
 * refund): what depends on them (points earned on a purchase) goes into `extra`; returns the cards to lock too.
 */
async function loadDependents(env: BatchEnv, client: pg.ClientBase, originals: readonly TxnState[], byId: Map<number, TxnState>, extra: Map<string, unknown>): Promise<number[]> {
  const all = new Set(originals);
  for (const o of originals) if (o.originalId !== null && byId.has(o.originalId)) all.add(byId.get(o.originalId)!);
  const byType = new Map<string, TxnState[]>();
  for (const o of all) {
    if (o.type === null || o.status === 'marker' || !env.handlers.get(o.type)?.dependents) continue;
    byType.set(o.type, [...(byType.get(o.type) ?? []), o]);
  }
  const cardIds: number[] = [];
  for (const [type, list] of byType) cardIds.push(...await env.handlers.get(type)!.dependents!(client, list, extra));
  return cardIds;
}

/**
 * Posts an `immediate` outcome (points) before the batch decides its next message, and runs its
 * `after` SQL; returns it marked posted so writeBatch applies it in memory without posting it again.
 */
async function postImmediately(client: pg.ClientBase, businessDate: string, transactionId: number, o: Outcome): Promise<Outcome> {
  if (!isApproval(o.code)) return o;
  const entryIds = await postEntries(client, businessDate, (o.entries ?? []).map((e) => ({ ...e, transactionId })));
  if (o.after) await o.after(client, { transactionId, entryIds });
  return { ...o, after: undefined, postedEntryIds: entryIds };
}
