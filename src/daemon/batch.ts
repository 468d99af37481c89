import type pg from 'pg';
import type { Context } from '../context.js';
import { panToken } from '../cards/vault.js';
import { businessDateOf } from '../ledger/calendar.js';
import { drawValue } from '../points/lottery/mapping.js';
import type { RegistryCache } from './registry-cache.js';
import type { Handler, Outcome, TxnState } from './handlers/types.js';
import { linkedEarns } from './handlers/points-links.js';
import { readPrefetched, prefetchValues, type Prefetched } from './prefetch.js';
import { STATEMENT, STATEMENTS } from './batch-sql.js';
import { ensurePrepared, execute, runFused } from './fused.js';
import { decideOne, makeContext, type DecideEnv } from './decide.js';
import { applyInMemory, entriesToPost, writeStatements, type RowWrite } from './batch-write.js';
import type { CoreResult, WorkItem } from './work-item.js';
import { CITUS_STATEMENTS, SHARD_IDS } from './shard-sql.js';
import type { ShardRange } from './shard-route.js';
import { claimsDone, planShards, type Reserved, type ShardGroupPlan } from './shard-batch.js';
import { keysOf, namesCard, namesOriginal, originalChannel, originalKey, ownKey } from './batch-keys.js';
import { InvariantError, TemporaryError } from '../errors.js';

export interface BatchEnv {
  ctx: Context;
  registry: RegistryCache;
  handlers: ReadonlyMap<string, Handler>;
}

export interface BatchResult {
  results: Map<WorkItem, CoreResult>;
  /** Items to run in the next batch (a repeat of a key in this batch, or a message about an original in it). */
  deferred: WorkItem[];
  /** Database transactions committed: one, or on Citus one per shard group of the batch. */
  transactions: number;
}

/**
 * Runs messages as ONE database transaction on `client`: the one pipeline of design §2, whatever
 * the batch holds and whether or not its cards were seen before.
 *
 * 1. prefetch, one round trip: BEGIN and purse_prefetch (migration 000140): the business date's
 *    shared lock, the keys claimed (advisory locks, in order), originals then cards locked, and
 *    everything the decisions read: card accounts, holds, the originals' rows and postings, points
 *    earned on them, the PAN → card lookup;
 *    (and for points messages the points state: schemes, rates, games, lots); and the ids of the
 *    entries the batch may post;
 * 2. decide, in arrival order over that state kept in memory, so a decision sees the ones before it
 *    on the same card (pure TypeScript: no database, no clock read; the time and lottery draws were
 *    taken before);
 * 3. write, one round trip: entries, holds, rows (each inserted once, complete), originals, cards, COMMIT.
 *
 * A key already taken (a repeat, a marker) is simply read back by the prefetch: an identical body
 * gets its stored answer, another body 409. Points messages too: their lots, draws and claw-back
 * records are written in step 3 with their entries, whose ids were taken ahead (enough for any
 * usual batch; a batch whose undos post more entries than that takes the rest in one more round
 * trip). Throws on any database error without resolving anything: the caller retries or splits
 * the batch.
 *
 * On a Citus coordinator (design §9) the batch is first routed and its keys claimed
 * (shard-batch.ts), then steps 1–3 run once per shard group, each one transaction on one shard
 * group, committed in one phase; a message whose key another message holds unanswered is rejected
 * with TemporaryError (503).
 */
export async function runBatch(env: BatchEnv, client: pg.ClientBase, items: readonly WorkItem[]): Promise<BatchResult> {
  const { active, deferred } = partition(items);
  const results = new Map<WorkItem, CoreResult>();
  if (active.length === 0) return { results, deferred, transactions: 0 };
  const now = env.ctx.clock.now();
  try {
    const citus = await onCitus(env, client);
    await ensurePrepared(client, citus ? CITUS_STATEMENTS : STATEMENTS);
    if (!citus) {
      deferred.push(...(await runGroup(env, client, active, null, now, results)));
      return { results, deferred, transactions: 1 };
    }
    const plan = await planShards(env.ctx, client, active);
    // Another message holds the key and has not been answered: 503, the channel retries.
    for (const i of plan.busy) i.reject(new TemporaryError('request_id in progress'));
    for (const g of plan.groups) deferred.push(...(await runGroup(env, client, g.items, g, now, results)));
    return { results, deferred: [...deferred, ...plan.deferred], transactions: plan.groups.length };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

/**
 * Prefetch, decide and write of one database transaction. `group`: on Citus, the one shard group
 * every message of `items` writes on (the ids its keys' claims reserved, its hash range for entry
 * ids); null on a single server.
 */
async function runGroup(
  env: BatchEnv, client: pg.ClientBase, items: readonly WorkItem[], group: ShardGroupPlan | null, now: Date, results: Map<WorkItem, CoreResult>,
): Promise<WorkItem[]> {
  const range = group?.range ?? null;
  const state = await prefetch(env, client, items, now, range);
  const decided = decideBatch(env, state, items, now, results, group?.reserved ?? null);
  const short = entriesToPost(decided.writes) - decided.entryIds.length;
  if (short > 0) decided.entryIds = [...decided.entryIds, ...(await takeEntryIds(client, short, range))];
  const written = decided.writes.map((w) => w.item);
  await runFused(client, group ? [...writeStatements(decided), ...claimsDone(written)] : writeStatements(decided));
  for (const w of decided.writes) results.set(w.item, { kind: 'response', response: w.response!, replay: false });
  return decided.deferred;
}

const citusOf = new WeakMap<BatchEnv, Promise<boolean>>();

/** Whether the database is a Citus coordinator: asked once per daemon, on its first batch. */
function onCitus(env: BatchEnv, client: pg.ClientBase): Promise<boolean> {
  let known = citusOf.get(env);
  if (!known) {
    known = client.query<{ citus: boolean }>(`select exists (select 1 from pg_extension where extname = 'citus') as citus`).then((r) => r.rows[0]!.citus);
    known.catch(() => citusOf.delete(env));
    citusOf.set(env, known);
  }
  return known;
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

/** Step 1: BEGIN and the prefetch, in one round trip (on Citus, entry ids drawn in the group's shard range). */
async function prefetch(env: BatchEnv, client: pg.ClientBase, items: readonly WorkItem[], now: Date, range: ShardRange | null): Promise<Prefetched> {
  const { keys, reversalKeys } = keysOf(items);
  const tokens = new Map<string, Buffer>();
  for (const i of items) if (namesCard(i) && !tokens.has(i.msg.card!)) tokens.set(i.msg.card!, panToken(env.ctx.keys, i.msg.card!));
  const points = items.filter((i) => i.handler.touchesLots && namesCard(i));
  // On Citus the rows' ids were reserved by their keys' claims.
  const newIds = range ? 0 : items.length + reversalKeys.length;
  const values = prefetchValues({
    calendarDate: businessDateOf(now, env.ctx.calendar), keys, reversalKeys, tokens: [...tokens.values()], newIds, at: now,
    points: {
      merchantIds: [...new Set(points.map((i) => i.merchant.info!.id))], tokens: points.map((i) => tokens.get(i.msg.card!)!),
      games: [...new Set(points.flatMap((i) => (i.msg.game === null ? [] : [i.msg.game])))],
    },
  });
  // Generic plans with sequential scans off: every statement of the batch looks rows up by key
  // over arrays, so its plan is an index plan whatever the tables' statistics say (a table that
  // just grew by a million rows, never analyzed, keeps the plan right). LOCAL: for this batch only.
  // On Citus the database sets purse.batch_plan_mode to force_custom_plan (migration 000230): Citus
  // routes a statement by its parameters' values, which a generic plan does not have.
  const [, , , [row], [taken]] = await runFused(client, [
    'begin', BATCH_PLAN_MODE_SQL, 'set local enable_seqscan = off', execute(STATEMENT.prefetch, values), entryIdsStatement(entryIdsAhead(items), range),
  ]) as [unknown, unknown, unknown, { p: unknown }[], { ids: number[] }[]];
  const state = await readPrefetched(row!.p, env.registry, taken!.ids);
  for (const [pan, token] of tokens) {
    const id = state.cardByToken.get(token.toString('hex'));
    if (id !== undefined) state.cardByPan.set(pan, id);
  }
  return state;
}

/** The statement taking `n` entry ids: from the sequence, or on Citus those that hash into the group's shard. */
const entryIdsStatement = (n: number, range: ShardRange | null) =>
  (range ? execute(SHARD_IDS, ['entries', n, range.min, range.max]) : execute(STATEMENT.entryIds, [n]));

/**
 * Entry ids to take ahead: one per message, and three for a message about points or an original
 * (a lottery posts its cost and its prize; an undo negates the original's entries and claws back
 * the points earned on it).
 */
const entryIdsAhead = (items: readonly WorkItem[]) => items.reduce((n, i) => n + (i.handler.touchesLots || namesOriginal(i) ? 3 : 1), 0);

/** More entry ids, for the rare batch that posts more entries than were taken ahead (one round trip). */
async function takeEntryIds(client: pg.ClientBase, n: number, range: ShardRange | null): Promise<number[]> {
  const [[row]] = await runFused(client, [entryIdsStatement(n, range)]) as [{ ids: number[] }[]];
  return row!.ids;
}

const BATCH_PLAN_MODE_SQL =
  `select set_config('plan_cache_mode', coalesce(nullif(current_setting('purse.batch_plan_mode', true), ''), 'force_generic_plan'), true)`;

/**
 * Step 2: each message in arrival order. Repeats get their stored answer (or 409); a late original
 * (its key holds a marker) is declined 94; every other message is decided over the prefetched
 * state, and its effect applied to that state before the next decision.
 */
function decideBatch(env: BatchEnv, state: Prefetched, items: readonly WorkItem[], now: Date, results: Map<WorkItem, CoreResult>, reserved: Reserved | null) {
  const { businessDate } = state;
  const ids = [...state.ids];
  // Reversals of originals not (yet) stored leave a marker under the original's key.
  const markers = new Map<string, TxnState>();
  for (const i of items) {
    if (i.msg.type !== 'reversal' || state.byKey.has(originalKey(i)) || markers.has(originalKey(i))) continue;
    markers.set(originalKey(i), markerState(reserved ? reservedId(reserved.markers.get(originalKey(i))) : ids.pop()!, originalChannel(i), i.msg.originalRequestId!, businessDate));
  }
  const extra = new Map<string, unknown>();
  const links = linkedEarns(extra);
  for (const [purchase, earns] of state.earns) links.set(purchase, [...earns]);
  const denv: DecideEnv = { ctx: env.ctx, handlers: env.handlers, state, extra, businessDate, now };

  // Randomness is taken before deciding: a lottery's draw value, from the CSPRNG.
  const draws = new Map(items.filter((i) => i.msg.type === 'lottery').map((i) => [i, drawValue()]));
  const lots = new LotTouches(env.handlers, links);
  const writes: RowWrite[] = [];
  const deferred: WorkItem[] = [];
  for (const item of items) {
    const existing = state.byKey.get(ownKey(item));
    if (existing && existing.status !== 'marker') {
      results.set(item, existing.bodyHash?.equals(item.bodyHash) ? { kind: 'response', response: existing.response as never, replay: true } : { kind: 'conflict' });
      continue;
    }
    const original = namesOriginal(item) ? state.byKey.get(originalKey(item)) ?? markers.get(originalKey(item)) ?? null : null;
    const cardId = item.handler.needs.card === 'original' ? original?.cardId ?? null : namesCard(item) ? state.cardByPan.get(item.msg.card!) ?? null : null;
    if (!existing && !lots.take(item, cardId, original)) {
      deferred.push(item);
      continue;
    }
    const txnId = existing ? existing.id : reserved ? reservedId(reserved.ids.get(item)) : ids.shift()!;
    const dc = makeContext(denv, item, txnId, cardId, original, draws.get(item) ?? null);
    const outcome: Outcome = existing ? { code: '94' } : decideOne(item, dc);
    const write: RowWrite = {
      item, txnId, adoptsMarker: existing !== undefined, outcome, card: dc.card, cardIdForRow: dc.card?.id ?? cardId,
      merchantIdForRow: item.msg.merchant === null ? original?.merchantId ?? null : item.merchant.info?.id ?? null,
    };
    applyInMemory(write, state.cards, state.holds);
    writes.push(write);
  }
  const used = (m: TxnState) => writes.some((w) => w.outcome.originalId === m.id && w.outcome.code === '00');
  return {
    businessDate, now, writes, cards: state.cards, entryIds: state.entryIds, dirty: [...state.byId.values()].filter((t) => t.dirty), markers: [...markers.values()].filter(used), deferred,
  };
}

/**
 * Which cards' points lots a batch's messages touch. A points decision reads the lots as
 * prefetched, and the lots are changed only when its outcome is finished: so a batch decides one
 * message touching a card's lots (a points type on its card; the undo or refund of a points
 * original, or of a purchase points were earned on, on those cards), and a later one touching the
 * same lots goes to the next batch — with every later message on its cards, so each card's messages
 * keep their order.
 */
class LotTouches {
  private readonly touched = new Set<number>();
  private readonly blocked = new Set<number>();

  constructor(private readonly handlers: ReadonlyMap<string, Handler>, private readonly links: ReadonlyMap<number, readonly { cardId: number }[]>) {}

  /** Whether the message may be decided in this batch (and if so, records the lots it touches). */
  take(item: WorkItem, cardId: number | null, original: TxnState | null): boolean {
    const cards = this.lotCards(item, cardId, original);
    const own = cardId === null ? [] : [cardId];
    if ([...own, ...cards].some((c) => this.blocked.has(c)) || cards.some((c) => this.touched.has(c))) {
      for (const c of [...own, ...cards]) this.blocked.add(c);
      return false;
    }
    for (const c of cards) this.touched.add(c);
    return true;
  }

  private lotCards(item: WorkItem, cardId: number | null, original: TxnState | null): number[] {
    if (item.handler.touchesLots) return cardId === null ? [] : [cardId];
    if (!original || original.status === 'marker' || original.type === null) return [];
    const earns = this.links.get(original.id) ?? [];
    const points = this.handlers.get(original.type)?.touchesLots === true || original.type === 'refund';
    if (!points && earns.length === 0) return [];
    return [...(original.cardId === null ? [] : [original.cardId]), ...earns.map((e) => e.cardId)];
  }
}

/** A row's id reserved by its key's claim (Citus): every message written has one. */
function reservedId(id: number | undefined): number {
  if (id === undefined) throw new InvariantError('claim_missing', 'a message of a shard group has no claimed id');
  return id;
}

/** A marker claimed for a reversal whose original is unknown: written only if an approved reversal uses it. */
function markerState(id: number, channelId: number, requestId: string, businessDate: string): TxnState {
  return {
    id, channelId, requestId, type: null, cardId: null, merchantId: null, terminalId: null, asset: null, amountRequested: null,
    amountApproved: 0, approved: false, responseCode: null, businessDate, originalId: null, entryId: null, holdId: null, status: 'marker',
    commission: 0, channelFee: 0, refundedAmount: 0, bodyHash: null, response: null, commissionBps: null, dateOpen: null,
  };
}
