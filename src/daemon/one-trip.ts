import type pg from 'pg';
import { sqlState } from '../db/errors.js';
import { InvariantError } from '../errors.js';
import { businessDateOf } from '../ledger/calendar.js';
import type { BatchEnv } from './batch.js';
import { lockOrder } from './batch-state.js';
import { FUSED } from './batch-fused.js';
import { applyInMemory, collect, recordedWrites, type RowWrite } from './batch-write.js';
import { expectValues, stateOf, type CardSnapshot } from './card-memory.js';
import { decideOne, makeContext, type Loaded } from './decide.js';
import { execute, runFused } from './fused.js';
import type { CardState } from './handlers/types.js';
import type { CoreResult, WorkItem } from './work-item.js';

/** SQLSTATE of purse_expect (migration 000110): what the batch remembered no longer holds. */
const EXPECTATION_FAILED = 'PUR01';

/**
 * A batch in ONE database round trip (design §7: one round trip per authorization). The batch
 * decides first, against the states its cards were left in by the daemon's last batches
 * (CardMemory), with ids taken ahead (IdPool), then sends, as one message: begin; its complete
 * rows (RECORD_SQL: each written once, where the other paths claim a row and update it; it checks
 * the keys were new); lock its cards and check them against what it decided on (EXPECT_SQL); its
 * entries; its cards' changes; commit. Decided on exactly the state it locked, its decisions are the ones the two-round-trip
 * path would make — the check is what makes that so: when a key is already taken or any card
 * differs (another writer moved it), purse_expect raises, nothing after it runs, the batch rolls
 * back and returns null, and the caller runs it the two-round-trip way.
 *
 * For batches the fused path takes (no originals, no database decisions); null also, before
 * deciding anything, when a card is not remembered or a message may place a hold (its id is needed
 * before its row is written).
 * The caller has prepared FUSED_STATEMENTS on `client`.
 */
export async function runOneTrip(
  env: BatchEnv, client: pg.ClientBase, items: readonly WorkItem[], cardOf: (i: WorkItem) => number | null, now: Date,
): Promise<Map<WorkItem, CoreResult> | null> {
  if (items.some((i) => i.handler.placesHolds)) return null;
  const snapshots = new Map<number, CardSnapshot>();
  for (const i of items) {
    const id = cardOf(i);
    if (id === null || snapshots.has(id)) continue;
    const s = env.memory.get(id);
    if (!s) return null;
    snapshots.set(id, s);
  }
  const cards = new Map<number, CardState>();
  for (const s of snapshots.values()) cards.set(s.id, await stateOf(s, env.registry));

  const businessDate = businessDateOf(now, env.ctx.calendar);
  const txnIds = await env.ids.transactions.take(client, items.length);
  const loaded: Loaded = { cards, byId: new Map(), undoData: { holds: new Map(), postings: new Map() }, openDates: new Map(), extra: new Map() };
  const writes = items.map((item, n): RowWrite => {
    const cardId = cardOf(item);
    const outcome = decideOne(item, makeContext(env, client, item, txnIds[n]!, cardId, null, loaded, businessDate, now));
    if (outcome instanceof Promise) throw new InvariantError('one_trip_async', `${item.msg.type} decides in the database`);
    const write: RowWrite = {
      item, txnId: txnIds[n]!, outcome, card: cardId === null ? null : cards.get(cardId)!, cardIdForRow: cardId, merchantIdForRow: item.merchant.info?.id ?? null,
    };
    applyInMemory(write, cards, loaded.undoData.holds, now, env.ctx.calendar.timezone);
    return write;
  });
  const collected = collect(writes);
  const entryIds = await env.ids.entries.take(client, collected.entries.length);
  const writing = recordedWrites(businessDate, now, writes, collected, cards, entryIds);

  const order = lockOrder([...cards.keys()]);
  const statements = [
    'begin',
    'set local plan_cache_mode = force_generic_plan', // as the fused path (batch.ts)
    writing.record,
    execute(FUSED.expect, expectValues(order, order.map((id) => snapshots.get(id)!))),
    ...writing.rest,
  ];
  try {
    await runFused(client, statements);
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    env.memory.forget(order);
    if (sqlState(err) !== EXPECTATION_FAILED) throw err;
    env.ids.transactions.giveBack(txnIds);
    env.ids.entries.giveBack(entryIds);
    return null;
  }
  env.memory.remember(cards.values());
  return new Map(writes.map((w, n) => [w.item, { kind: 'response', response: collected.responses[n]!, replay: false }]));
}
