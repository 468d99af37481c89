import { cardChecks } from './handlers/common.js';
import type pg from 'pg';
import type { Hold } from '../ledger/holds.js';
import type { Posting } from '../ledger/entry.js';
import type { BatchEnv } from './batch.js';
import type { CardState, DecideContext, Outcome, TxnState } from './handlers/types.js';
import type { WorkItem } from './work-item.js';

/**
 * Decides one message against the batch's locked state: the checks every card-bearing type shares
 * (58 merchant/terminal/channel, 14 card, 57 program not accepted by the merchant, then card status
 * and PIN), then the type's own handler. Types that name an original run their own checks on it.
 * A promise only for handlers that decide in the database (points) or undo such originals.
 */
export function decideOne(item: WorkItem, dc: DecideContext): Outcome | Promise<Outcome> {
  const h = item.handler;
  if (item.merchant.refused) return { code: '58' };
  if (!h.usesOriginal && 'card' in h.schema.shape) {
    if (!dc.card) return { code: '14' };
    const accepts = item.merchant.info?.programIds;
    if (h.checksProgram !== false && accepts && !accepts.has(dc.card.programId)) return { code: '57' };
    const refused = cardChecks(dc, h, dc.card);
    if (refused) return refused;
    if (dc.msg.currency !== null && dc.msg.currency !== dc.card.program.currency) return { code: '13' };
  }
  return h.decide(dc);
}

/** What a batch has loaded that decisions may read (see DecideContext). */
export interface Loaded {
  cards: Map<number, CardState>;
  byId: Map<number, TxnState>;
  undoData: { holds: Map<number, Hold>; postings: Map<number, Posting[]> };
  openDates: Map<string, boolean>;
  extra: Map<string, unknown>;
}

/** The context of one message's decision in a batch. */
export function makeContext(
  env: BatchEnv, client: pg.ClientBase, item: WorkItem, transactionId: number, cardId: number | null, original: TxnState | null,
  loaded: Loaded, businessDate: string, now: Date,
): DecideContext {
  const { cards, byId, undoData, openDates, extra } = loaded;
  return {
    msg: item.msg,
    channel: item.channel,
    merchant: item.merchant.info,
    terminalId: item.merchant.terminalId,
    card: cardId === null ? null : cards.get(cardId) ?? null,
    original,
    txn: (id) => byId.get(id),
    hold: (id) => undoData.holds.get(id),
    postings: (entryId) => undoData.postings.get(entryId) ?? [],
    dateOpen: (d) => openDates.get(d) ?? false,
    businessDate,
    now,
    keys: env.ctx.keys,
    handlerOf: (type) => env.handlers.get(type),
    extra,
    ctx: env.ctx,
    transactionId,
    db: client,
  };
}
