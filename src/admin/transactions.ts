import crypto from 'node:crypto';
import type { Context } from '../context.js';
import type { TransactionCore } from '../daemon/core.js';
import type { Message } from '../daemon/message.js';
import type { TxnResponse } from '../daemon/work-item.js';
import { scrubPans } from '../cards/luhn.js';
import { TemporaryError } from '../errors.js';
import { Problem, notFound } from './problem.js';
import { localTime } from './time.js';
import { WEB_SEAT } from './web-seat.js';
import type { Principal } from './roles.js';
import { auditPg, type Actor } from './audit.js';

/** A transaction as the management API shows it: the card by id and masked number, never the PAN. */
export interface AdminTransaction {
  id: number; business_date: string; occurred_at: string; channel: string; request_id: string; type: string; status: string;
  approved: boolean; response_code: string; card: { id: number; masked: string } | null; merchant: string | null; terminal: string | null;
  asset: string | null; amount_requested: number | null; amount_approved: number; refunded_amount: number; original_id: number | null;
}

export interface TransactionFilter {
  cardLast4?: string; merchant?: string; terminal?: string; channel?: string; type?: string; status?: string;
  from?: string; to?: string; minAmount?: number; maxAmount?: number;
  /** Scope: only this merchant's (merchant roles). */
  merchantId?: number | null;
  afterId?: number; limit?: number; id?: number;
  /** Only this card's (a cardholder's card transactions). */
  cardId?: number;
}

// The card-side filters (last 4, card) pick card ids first and the rows' masked numbers are read
// by id afterwards: transactions and cards are placed by different keys on Citus (design §9), where
// a join of the two on t.card_id is refused; a list of card ids in the WHERE clause is not.
const SELECT = `
  select t.id, t.business_date::text as business_date, t.occurred_at, ch.code as channel, t.request_id, t.type, t.status, t.approved,
         t.response_code, t.card_id, m.code as merchant, tm.code as terminal, t.asset, t.amount_requested,
         t.amount_approved, t.refunded_amount, t.original_id
  from transactions t
  left join channels ch on ch.id = t.channel_id
  left join merchants m on m.id = t.merchant_id
  left join terminals tm on tm.id = t.terminal_id`;

type Row = Omit<AdminTransaction, 'card' | 'occurred_at'> & { occurred_at: Date; card_id: number | null };

/**
 * The combined transaction query of design §10 (card last 4, merchant, terminal, channel, type,
 * status, business dates, amounts), in id order after `afterId`, pending rows and markers excluded.
 */
export async function queryTransactions(ctx: Context, f: TransactionFilter): Promise<AdminTransaction[]> {
  const cards = await cardsMatching(ctx, f);
  if (cards !== null && cards.length === 0) return [];
  const { rows } = await ctx.db.pg.query<Row>(`${SELECT}
    where t.status not in ('pending', 'marker')
      and ($1::bigint[] is null or t.card_id = any($1)) and ($2::text is null or m.code = $2) and ($3::text is null or tm.code = $3)
      and ($4::text is null or ch.code = $4) and ($5::text is null or t.type = $5) and ($6::text is null or t.status = $6)
      and ($7::date is null or t.business_date >= $7) and ($8::date is null or t.business_date <= $8)
      and ($9::bigint is null or t.amount_approved >= $9) and ($10::bigint is null or t.amount_approved <= $10)
      and ($11::bigint is null or t.merchant_id = $11) and ($12::bigint is null or t.id = $12) and t.id > $13
    order by t.id limit $14`,
  [cards, f.merchant ?? null, f.terminal ?? null, f.channel ?? null, f.type ?? null, f.status ?? null, f.from ?? null, f.to ?? null,
    f.minAmount ?? null, f.maxAmount ?? null, f.merchantId ?? null, f.id ?? null, f.afterId ?? 0, f.limit ?? 50]);
  const last4 = await lastFours(ctx, rows.flatMap((r) => (r.card_id === null ? [] : [r.card_id])));
  return rows.map((r) => ({
    id: r.id, business_date: r.business_date, occurred_at: localTime(r.occurred_at, ctx.config.timezone), channel: r.channel,
    request_id: scrubPans(r.request_id), type: r.type, status: r.status, approved: r.approved, response_code: r.response_code,
    card: r.card_id === null ? null : { id: r.card_id, masked: `************${last4.get(r.card_id) ?? '????'}` },
    merchant: r.merchant, terminal: r.terminal, asset: r.asset, amount_requested: r.amount_requested, amount_approved: r.amount_approved,
    refunded_amount: r.refunded_amount, original_id: r.original_id,
  }));
}

/** The ids of the cards the filter's card conditions allow (null: no card condition). */
async function cardsMatching(ctx: Context, f: TransactionFilter): Promise<number[] | null> {
  if (f.cardLast4 === undefined && f.cardId === undefined) return null;
  const { rows } = await ctx.db.pg.query<{ id: number }>(
    'select id from cards where ($1::text is null or pan_last4 = $1) and ($2::bigint is null or id = $2)', [f.cardLast4 ?? null, f.cardId ?? null]);
  return rows.map((r) => r.id);
}

/** The last four digits of each card's number, by card id. */
async function lastFours(ctx: Context, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await ctx.db.pg.query<{ id: number; pan_last4: string }>('select id, pan_last4 from cards where id = any($1::bigint[])', [[...new Set(ids)]]);
  return new Map(rows.map((r) => [r.id, r.pan_last4]));
}

/** The owner of a transaction for the scope check (null: none). */
export async function transactionOwner(ctx: Context, id: number): Promise<{ merchantId: number | null; issuerId: number | null } | null> {
  const { rows: [t] } = await ctx.db.pg.query<{ merchant_id: number | null; card_id: number | null }>(
    `select merchant_id, card_id from transactions where id = $1 and status not in ('pending', 'marker')`, [id]);
  if (!t) return null;
  if (t.card_id === null) return { merchantId: t.merchant_id, issuerId: null };
  const { rows: [c] } = await ctx.db.pg.query<{ issuer_id: number }>(
    'select p.issuer_id from cards c join programs p on p.id = c.program_id where c.id = $1', [t.card_id]);
  return { merchantId: t.merchant_id, issuerId: c?.issuer_id ?? null };
}

/**
 * Every Message the management API submits is built here (one place to add a field). The request
 * id is derived from the operator and its Idempotency-Key when given, so a repeat that reaches the
 * core is the core's own idempotent repeat too.
 */
export function adminMessage(p: Principal | null, key: string | null, fields: Pick<Message, 'type' | 'amount' | 'merchant' | 'terminal' | 'originalRequestId'> & {
  originalChannelId: number | null;
  /** A request id fixed by the caller (orders derive theirs from the order id, so a replay is the core's idempotent repeat). */
  requestId?: string; card?: string | null; scheme?: string | null;
}): Message {
  const suffix = key === null ? crypto.randomBytes(12).toString('hex') : crypto.createHash('sha256').update(key).digest('hex').slice(0, 24);
  return {
    requestId: fields.requestId ?? `adm-${p?.operatorId ?? 0}-${suffix}`, type: fields.type, card: fields.card ?? null, amount: fields.amount, merchant: fields.merchant, terminal: fields.terminal,
    originalRequestId: fields.originalRequestId, originalChannelId: fields.originalChannelId, partial: false, pin: null, scheme: fields.scheme ?? null, toScheme: null, game: null,
    currency: null,
  } as Message;
}

/**
 * 退货: refunds `amount` of transaction `id` through the pipeline on the WEB-SEAT channel (no
 * fee). The core decides as for any refund: above what remains refundable is declined 13, so
 * refunds here and over HTTP together never exceed the purchase. Declines answer 409 with the
 * DE39 code; approvals the response of design §5. Audited right after the core's commit.
 */
export async function refundTransaction(ctx: Context, core: TransactionCore, p: Principal, actor: Actor, id: number, amount: number, key: string | null): Promise<TxnResponse & { id: number | null }> {
  const { rows } = await ctx.db.pg.query<{ channel_id: number; request_id: string; merchant: string | null; terminal: string | null }>(
    `select t.channel_id, t.request_id, m.code as merchant, tm.code as terminal from transactions t
     left join merchants m on m.id = t.merchant_id left join terminals tm on tm.id = t.terminal_id where t.id = $1`, [id]);
  const o = rows[0];
  if (!o) throw notFound();
  const channel = await core.registry.channel(WEB_SEAT);
  if (!channel) throw new TemporaryError('the WEB-SEAT channel is not set up yet');
  const msg = adminMessage(p, key, { type: 'refund', amount, merchant: o.merchant, terminal: o.terminal, originalRequestId: o.request_id, originalChannelId: o.channel_id });
  const result = await core.process(msg, channel, ctx.logger);
  if (result.kind === 'conflict') throw new Problem(409, 'conflict', 'Idempotency-Key was used with another request', { field: 'Idempotency-Key' });
  const r = result.response;
  // The core commits the refund in its own batch transaction; the audit record follows it at once.
  await auditPg(ctx.db.pg, ctx, actor, {
    action: 'transaction.refund', target: `transaction:${id}`, outcome: r.approved ? 'ok' : `declined_${r.response_code}`,
    after: { refund_transaction_id: r.transaction_id, amount, response_code: r.response_code, request_id: msg.requestId },
  });
  if (!r.approved) {
    throw new Problem(409, `declined_${r.response_code}`, `refund declined ${r.response_code}: ${r.message}`, { field: r.response_code === '13' ? 'amount' : 'id' });
  }
  return { id: r.transaction_id, ...r }; // design §10: objects carry id (the refund's transaction id)
}
