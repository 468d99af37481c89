import type { Context } from '../context.js';
import type { Logger } from '../logger.js';
import type { TransactionCore } from '../daemon/core.js';
import type { ChannelInfo } from '../daemon/registry-cache.js';
import type { Message, MessageFields } from '../daemon/message.js';
import type { CoreResult, TxnResponse } from '../daemon/work-item.js';
import { MessageFailedError, OverloadedError } from '../daemon/batcher.js';
import { text, type IsoMessage } from './codec.js';
import { decodePinBlock } from './crypto.js';
import { classOf, classify, field60, field61, requestIdOf, type TxnRow } from './messages.js';
import { alphaCurrency, answerOf, withResponse } from './render.js';
import type { TerminalKeys } from './terminal-keys.js';

/** Who sent a request: the channel, and the merchant and terminal named by DE42 and DE41. */
export interface Sender { channel: ChannelInfo; merchant: string; terminal: string; terminalId: number; earnScheme: string | null }

/** What a financial request needs beyond the message. */
export interface FinancialDeps { ctx: Context; core: TransactionCore; log: Logger; acquirer: string }

/** The card number of a request: DE2, else the digits of DE35 before `=`. */
export function cardOf(req: IsoMessage): string | null {
  const pan = text(req, 2) ?? text(req, 35)?.split('=')[0];
  return pan && /^\d{13,19}$/.test(pan) ? pan : null;
}

/**
 * The one place an ISO request becomes the core's Message (the same internal message as HTTP):
 * fields the type's request schema does not define are null. DE49 gives `currency` (numeric →
 * alphabetic; an unknown code becomes `XXX`, which no program uses: a processed decline 13).
 */
export function buildMessage(core: TransactionCore, o: { requestId: string; type: string; card: string | null; amount: number | null; who: Sender; original: string | null; pin: string | null; currency: string | null }): Message {
  const shape = core.schemaOf(o.type)!.shape as Record<string, unknown>;
  const has = (field: string) => field in shape;
  const m: MessageFields = {
    requestId: o.requestId, type: o.type,
    card: has('card') ? o.card : null,
    amount: has('amount') ? o.amount : null,
    merchant: o.who.merchant, terminal: o.who.terminal,
    originalRequestId: has('original_request_id') ? o.original : null,
    partial: false, pin: has('pin') ? o.pin : null, scheme: null, toScheme: null, game: null,
    currency: has('currency') && o.currency !== null ? alphaCurrency(o.currency) ?? 'XXX' : null,
  };
  return m as Message;
}

/** Whether a type's request schema requires a field (defined and not optional). */
function requires(core: TransactionCore, type: string, field: string): boolean {
  const f = (core.schemaOf(type)!.shape as Record<string, { isOptional(): boolean } | undefined>)[field];
  return f !== undefined && !f.isOptional();
}

interface Original { requestId: string; rrn: string | null }

/** The original a void, refund or completion names by DE61 (batch, STAN), among its candidate classes. */
async function originalBy61(ctx: Context, who: Sender, batch: string, stan: string, classes: string[]): Promise<Original> {
  const { rows } = await ctx.db.pg.query<{ request_id: string; rrn: string; class: string }>(
    'select request_id, rrn, class from iso_requests where channel_id = $1 and terminal_id = $2 and batch = $3 and stan = $4 and class = any($5)',
    [who.channel.id, who.terminalId, Number(batch), Number(stan), classes]);
  const hit = classes.map((c) => rows.find((r) => r.class === c)).find((r) => r !== undefined);
  return hit ? { requestId: hit.request_id, rrn: hit.rrn } : { requestId: requestIdOf(who.merchant, who.terminal, batch, stan, classes[0]!), rrn: null };
}

/**
 * Records the answered request under its key (one statement) and returns its RRN: a new one from
 * the sequence the first time, the stored one for every repeat.
 */
async function recordKey(ctx: Context, who: Sender, k: { batch: string; stan: string; cls: string; requestId: string; original: string | null; type: string; points: boolean }, r: TxnResponse): Promise<string> {
  const { rows } = await ctx.db.pg.query<{ rrn: string }>(
    `insert into iso_requests (channel_id, terminal_id, batch, stan, class, request_id, original_request_id, type, points, rrn, response_code, amount_approved, transaction_id, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, lpad(nextval('iso_rrn_seq')::text, 12, '0'), $10, $11, $12, $13)
     on conflict (channel_id, terminal_id, batch, stan, class) do update set response_code = excluded.response_code, amount_approved = excluded.amount_approved, transaction_id = excluded.transaction_id
     returning rrn`,
    [who.channel.id, who.terminalId, Number(k.batch), Number(k.stan), k.cls, k.requestId, k.original, k.type, k.points, r.response_code, r.amount_approved, r.transaction_id, ctx.clock.now()]);
  return rows[0]!.rrn;
}

const TIMED_OUT = Symbol('timed out');

/**
 * A financial request (0100, 0200, 0220, 0400 families) after its MAC was verified: finds the
 * row of the message table, derives the request_id from the ISO key and the original's from
 * DE61/DE37 or (reversal) from the same STAN and batch, hands the Message to the core and renders
 * the answer. A changed body under the same key answers 94. Returns null when the core did not
 * decide within the authorization deadline (no answer: the terminal reverses).
 */
export async function financial(d: FinancialDeps, who: Sender, keys: TerminalKeys, req: IsoMessage): Promise<IsoMessage | null> {
  const now = d.ctx.clock.now();
  const decline = (code: string) => answerOf(req, code, now, d.ctx.calendar, d.acquirer);
  const c = classify(req);
  const stan = text(req, 11);
  const batch = field60(req).batch;
  if (c.kind === 'unknown' || !stan || !/^\d{6}$/.test(batch)) return decline('12');
  const row: TxnRow = c.kind === 'txn' ? c.row : c.original;
  const type = c.kind === 'txn' ? row.type : 'reversal';
  let original: Original | null = null;
  if (c.kind === 'reversal') original = { requestId: requestIdOf(who.merchant, who.terminal, batch, stan, classOf(c.original)), rrn: null };
  else if (row.original) {
    const f61 = field61(req);
    if (!/^\d{6}$/.test(f61.batch) || !/^\d{6}$/.test(f61.stan)) return decline('12');
    original = await originalBy61(d.ctx, who, f61.batch, f61.stan, row.original);
    const de37 = text(req, 37);
    if (row.type === 'refund' && (!de37 || (original.rrn !== null && de37 !== original.rrn))) return decline('25');
  }
  const card = cardOf(req);
  const amountText = text(req, 4);
  const amount = amountText === undefined ? null : Number(amountText);
  if (requires(d.core, type, 'card') && card === null) return decline('14');
  if (requires(d.core, type, 'amount') && (amount === null || amount <= 0)) return decline('13');
  const block = req.fields.get(52);
  const pin = Buffer.isBuffer(block) && card !== null && keys.pik ? decodePinBlock(keys.pik, block, card) : null;
  const cls = c.kind === 'txn' ? c.cls : 'R';
  const requestId = requestIdOf(who.merchant, who.terminal, batch, stan, cls);
  const msg = buildMessage(d.core, { requestId, type, card, amount, who, original: original?.requestId ?? null, pin, currency: text(req, 49) ?? null });
  const points = row.points === true && c.kind === 'txn';
  const key = { batch, stan, cls, requestId, original: original?.requestId ?? null, type, points };
  const work = d.core.process(msg, who.channel, d.log).then(async (result: CoreResult) =>
    ({ result, rrn: result.kind === 'response' ? await recordKey(d.ctx, who, key, result.response) : '' }));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), d.ctx.config.authDeadlineMs)));
  try {
    const result = await Promise.race([work, deadline]);
    if (result === TIMED_OUT) {
      d.log.warn({ deadline_ms: d.ctx.config.authDeadlineMs }, 'ISO request not decided within the authorization deadline: no answer');
      work.catch((err: unknown) => d.log.warn({ err }, 'late ISO request failed'));
      return null;
    }
    if (result.result.kind === 'conflict') return decline('94');
    return withResponse(decline('00'), result.result.response, result.rrn, points, who.earnScheme);
  } catch (err) {
    // 96 only when nothing was committed: the message's batch failed and rolled back, or the queue
    // refused it. Any other trouble (the database lost mid-commit) may have committed: no answer,
    // so the terminal reverses.
    if (err instanceof MessageFailedError || err instanceof OverloadedError) {
      d.log.warn({ err: { message: (err as Error).message } }, 'ISO request not processed: 96');
      return decline('96');
    }
    d.log.error({ err }, 'ISO request failed: no answer');
    return null;
  } finally {
    clearTimeout(timer);
  }
}
