import type { Context } from '../context.js';
import { scrubPans } from '../cards/luhn.js';
import { InputError, NotFoundError } from '../errors.js';
import type { CsvShape } from './csv.js';
import { codeOption, dateRange, MESSAGE_TYPES } from './options.js';

/** Filters of `purse report transactions` as typed on the command line (validated here). */
export interface TransactionFilterInput {
  cardLast4?: unknown;
  cardId?: unknown;
  merchant?: unknown;
  terminal?: unknown;
  channel?: unknown;
  type?: unknown;
  from?: unknown;
  to?: unknown;
}

/** One processed message. The card appears by id and last 4 digits only, never the PAN. */
export interface TransactionRow {
  id: number;
  business_date: string;
  occurred_at: string;
  channel: string;
  request_id: string;
  type: string;
  status: string;
  approved: boolean;
  response_code: string;
  card_id: number | null;
  card_last4: string | null;
  merchant: string | null;
  merchant_name: string | null;
  terminal: string | null;
  asset: string | null;
  amount_requested: number | null;
  amount_approved: number;
  commission: number;
  channel_fee: number;
  refunded_amount: number;
  original_id: number | null;
}

export const TRANSACTIONS_CSV: CsvShape = {
  columns: ['id', 'business_date', 'occurred_at', 'channel', 'request_id', 'type', 'status', 'approved', 'response_code', 'card_id', 'card_last4',
    'merchant', 'merchant_name', 'terminal', 'asset', 'amount_requested', 'amount_approved', 'commission', 'channel_fee', 'refunded_amount', 'original_id'],
  amounts: new Set(['amount_requested', 'amount_approved', 'commission', 'channel_fee', 'refunded_amount', 'original_id']),
};

/** Rows per page: memory stays flat however many transactions match. */
export const PAGE_SIZE = 5_000;

interface Where { clauses: string[]; values: unknown[] }

function add(w: Where, clause: (n: string) => string, value: unknown): void {
  w.values.push(value);
  w.clauses.push(clause(`$${w.values.length}`));
}

async function idsOf(ctx: Context, table: 'merchants' | 'channels' | 'terminals', code: string, option: string, what: string): Promise<number[]> {
  const { rows } = await ctx.db.pg.query<{ id: number }>(`select id from ${table} where code = $1`, [code]);
  if (rows.length === 0) throw new NotFoundError(what, code, option);
  return rows.map((r) => r.id);
}

/** Validates the filters and turns them into bound SQL conditions; unknown codes are NotFoundError naming the option. */
async function whereOf(ctx: Context, f: TransactionFilterInput): Promise<Where> {
  const w: Where = { clauses: [`t.status not in ('pending', 'marker')`], values: [] };
  if (f.cardLast4 !== undefined && f.cardId !== undefined) throw new InputError('invalid_option', 'give --card-last4 or --card-id, not both', '--card-id');
  if (f.cardLast4 !== undefined) {
    if (typeof f.cardLast4 !== 'string' || !/^\d{4}$/.test(f.cardLast4)) throw new InputError('invalid_option', '--card-last4 must be 4 digits', '--card-last4');
    // the cards by a subquery, not a join: on Citus transactions and cards are placed by different columns
    add(w, (n) => `t.card_id in (select c.id from cards c where c.pan_last4 = ${n})`, f.cardLast4);
  }
  if (f.cardId !== undefined) {
    if (typeof f.cardId !== 'string' || !/^[1-9]\d{0,15}$/.test(f.cardId)) throw new InputError('invalid_option', '--card-id must be a card id (a positive integer)', '--card-id');
    add(w, (n) => `t.card_id = ${n}`, Number(f.cardId));
  }
  if (f.merchant !== undefined) add(w, (n) => `t.merchant_id = any(${n}::bigint[])`, await idsOf(ctx, 'merchants', codeOption(f.merchant, '--merchant'), '--merchant', 'merchant'));
  if (f.terminal !== undefined) add(w, (n) => `t.terminal_id = any(${n}::bigint[])`, await idsOf(ctx, 'terminals', codeOption(f.terminal, '--terminal'), '--terminal', 'terminal'));
  if (f.channel !== undefined) add(w, (n) => `t.channel_id = any(${n}::bigint[])`, await idsOf(ctx, 'channels', codeOption(f.channel, '--channel'), '--channel', 'channel'));
  if (f.type !== undefined) {
    if (typeof f.type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(f.type)) {
      throw new InputError('invalid_option', `--type must be one of ${MESSAGE_TYPES.join(', ')}`, '--type');
    }
    add(w, (n) => `t.type = ${n}`, f.type);
  }
  const range = dateRange(f.from, f.to);
  if (range.from !== null) add(w, (n) => `t.business_date >= ${n}::date`, range.from);
  if (range.to !== null) add(w, (n) => `t.business_date <= ${n}::date`, range.to);
  return w;
}

/**
 * `purse report transactions`: the processed messages (approved or declined; voided and reversed
 * originals with that status) matching every given filter, in id order. Validates the filters
 * first — bad values are InputError naming the option, unknown codes NotFoundError — then returns
 * the pages of at most PAGE_SIZE rows (keyset paging on id, so a large result streams in flat
 * memory). Read only.
 */
export async function queryTransactions(ctx: Context, filter: TransactionFilterInput): Promise<AsyncGenerator<TransactionRow[]>> {
  const w = await whereOf(ctx, filter);
  const after = w.values.length + 1;
  const sql = `
    select t.id, t.business_date::text as business_date, t.occurred_at, ch.code as channel, t.request_id, t.type, t.status,
           t.approved, t.response_code, t.card_id, m.code as merchant, m.name as merchant_name,
           tm.code as terminal, t.asset, t.amount_requested, t.amount_approved, t.commission, t.channel_fee, t.refunded_amount, t.original_id
    from transactions t
    left join channels ch on ch.id = t.channel_id
    left join merchants m on m.id = t.merchant_id
    left join terminals tm on tm.id = t.terminal_id
    where ${w.clauses.join(' and ')} and t.id > $${after}
    order by t.id
    limit ${PAGE_SIZE}`;
  return (async function* pages() {
    let last = 0;
    for (;;) {
      const { rows } = await ctx.db.pg.query<Omit<TransactionRow, 'occurred_at' | 'card_last4'> & { occurred_at: Date }>(sql, [...w.values, last]);
      if (rows.length === 0) return;
      const last4 = await cardLast4(ctx, rows.map((r) => r.card_id));
      // A channel's request_id is its own text: should it carry a card number, only the mask is shown.
      yield rows.map((r) => {
        const row = { ...r, request_id: scrubPans(r.request_id), occurred_at: r.occurred_at.toISOString(), card_last4: r.card_id === null ? null : last4.get(r.card_id) ?? null };
        // the columns in their documented order (--json prints the objects as they are)
        return Object.fromEntries(TRANSACTIONS_CSV.columns.map((c) => [c, row[c as keyof typeof row]])) as unknown as TransactionRow;
      });
      if (rows.length < PAGE_SIZE) return;
      last = rows[rows.length - 1]!.id;
    }
  })();
}

/**
 * The last 4 digits of the page's cards, by id: a query of its own rather than a join, as Citus
 * joins transactions (placed by request id) with cards (placed by card id) only by refusing it.
 */
async function cardLast4(ctx: Context, ids: readonly (number | null)[]): Promise<Map<number, string>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const { rows } = await ctx.db.pg.query<{ id: number; pan_last4: string }>('select id, pan_last4 from cards where id = any($1::bigint[])', [wanted]);
  return new Map(rows.map((r) => [r.id, r.pan_last4]));
}

/** All matching rows at once (tests and small queries). */
export async function listTransactions(ctx: Context, filter: TransactionFilterInput): Promise<TransactionRow[]> {
  const out: TransactionRow[] = [];
  for await (const page of await queryTransactions(ctx, filter)) out.push(...page);
  return out;
}
