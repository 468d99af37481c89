import type { Context } from '../context.js';
import { checkMessage } from './precedence.js';
import type { Prefetched } from './prefetch.js';
import type { DecideContext, Handler, Outcome, TxnState } from './handlers/types.js';
import type { WorkItem } from './work-item.js';

/**
 * Decides one message over the batch's prefetched state: the generic checks of design §5's
 * precedence (precedence.ts), then the type's own decision. Pure and synchronous: no database, no
 * clock read, no I/O (the batch's time and a lottery's draw are taken before).
 */
export function decideOne(item: WorkItem, dc: DecideContext): Outcome {
  return checkMessage(dc, item.handler, item.merchant.refused) ?? item.handler.decide(dc);
}

/** Where a decision's inputs come from: the prefetched state and the batch's clock reading. */
export interface DecideEnv {
  ctx: Context;
  handlers: ReadonlyMap<string, Handler>;
  state: Prefetched;
  /** Shared by the batch's decisions (linked earns, seeded from the prefetch). */
  extra: Map<string, unknown>;
  businessDate: string;
  now: Date;
}

/** The context of one message's decision in a batch. */
export function makeContext(env: DecideEnv, item: WorkItem, transactionId: number, cardId: number | null, original: TxnState | null, draw: number | null = null): DecideContext {
  const { state } = env;
  return {
    msg: item.msg,
    channel: item.channel,
    merchant: item.merchant.info,
    terminalId: item.merchant.terminalId,
    card: cardId === null ? null : state.cards.get(cardId) ?? null,
    original,
    txn: (id) => state.byId.get(id),
    hold: (id) => state.holds.get(id),
    postings: (entryId) => state.postings.get(entryId) ?? [],
    dateOpen: (d) => [...state.byId.values()].some((t) => t.businessDate === d && t.dateOpen === true),
    businessDate: env.businessDate,
    now: env.now,
    keys: env.ctx.keys,
    handlerOf: (type) => env.handlers.get(type),
    extra: env.extra,
    ctx: env.ctx,
    transactionId,
    points: state.points,
    draw,
  };
}
