import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { rowOfClass } from './messages.js';
import { nextBatch } from './terminal-keys.js';
import crypto from 'node:crypto';
import { InputError } from '../errors.js';
import { zonedInstant, addDays, isIsoDate } from '../ledger/calendar.js';

/** One ISO request of a batch as the totals need it. */
export interface BatchRow { request_id: string; original_request_id: string | null; class: string; type: string; response_code: string | null; amount_approved: number | null; points: boolean }

export interface Totals { debitAmount: number; debitCount: number; creditAmount: number; creditCount: number }

const approved = (r: BatchRow) => r.response_code === '00' || r.response_code === '10';

/**
 * Host totals of a terminal batch (design §5b, pure): debits are approved purchases, completions
 * and loads, credits approved refunds, each net of its approved voids and reversals (a reversed
 * void restores its original); points transactions are not money.
 */
export function batchTotals(rows: readonly BatchRow[]): Totals {
  const byId = new Map(rows.map((r) => [r.request_id, r]));
  const undone = new Set<string>();
  for (const r of rows) if (r.type === 'reversal' && approved(r) && r.original_request_id) undone.add(r.original_request_id);
  for (const r of rows) {
    if (r.type === 'void' && approved(r) && !undone.has(r.request_id) && r.original_request_id && byId.has(r.original_request_id)) undone.add(r.original_request_id);
  }
  const t: Totals = { debitAmount: 0, debitCount: 0, creditAmount: 0, creditCount: 0 };
  for (const r of rows) {
    const side = rowOfClass(r.class)?.side;
    if (!side || r.points || !approved(r) || undone.has(r.request_id)) continue;
    if (side === 'debit') { t.debitAmount += r.amount_approved ?? 0; t.debitCount++; } else { t.creditAmount += r.amount_approved ?? 0; t.creditCount++; }
  }
  return t;
}

/** DE48 of a 0500: domestic debit amount n12, count n3, credit amount n12, count n3, code n1; the rest ignored. */
export function parseTotals(de48: string): Totals | null {
  const m = /^(\d{12})(\d{3})(\d{12})(\d{3})/.exec(de48);
  return m ? { debitAmount: Number(m[1]), debitCount: Number(m[2]), creditAmount: Number(m[3]), creditCount: Number(m[4]) } : null;
}

/** DE48 of a 0510: the layout of the request's with the reconciliation code (1 balanced, 2 not). */
export const renderTotals = (t: Totals, code: '1' | '2'): string =>
  `${String(t.debitAmount).padStart(12, '0')}${String(t.debitCount).padStart(3, '0')}${String(t.creditAmount).padStart(12, '0')}${String(t.creditCount).padStart(3, '0')}${code}`;

const sameTotals = (a: Totals, b: Totals) =>
  a.debitAmount === b.debitAmount && a.debitCount === b.debitCount && a.creditAmount === b.creditAmount && a.creditCount === b.creditCount;

/**
 * Settles a terminal batch (0500): compares the terminal's DE48 totals with the host's, records
 * both, closes the batch and opens the next number. A repeated 0500 for a batch already closed
 * gets the stored result again. Returns the reconciliation code.
 */
export async function settleBatch(ctx: Context, channelId: number, terminalId: number, batch: number, terminal: Totals): Promise<'1' | '2'> {
  return withTransaction(ctx.db.pg, async (c) => {
    const t = await c.query<{ batch: number }>('select batch from iso_terminals where terminal_id = $1 for update', [terminalId]);
    const done = await c.query<{ balanced: boolean }>('select balanced from iso_batches where terminal_id = $1 and batch = $2 and closed_at is not null', [terminalId, batch]);
    if (done.rows[0]) return done.rows[0].balanced ? '1' : '2';
    if (t.rows[0]?.batch !== batch) return '2';
    const { rows } = await c.query<BatchRow>(
      `select request_id, original_request_id, class, type, response_code, amount_approved::float8 as amount_approved, points
       from iso_requests where channel_id = $1 and terminal_id = $2 and batch = $3`, [channelId, terminalId, batch]);
    const host = batchTotals(rows);
    const balanced = sameTotals(host, terminal);
    const now = ctx.clock.now();
    await c.query(
      `insert into iso_batches (terminal_id, batch, opened_at, closed_at, debit_amount, debit_count, credit_amount, credit_count,
         terminal_debit_amount, terminal_debit_count, terminal_credit_amount, terminal_credit_count, balanced)
       values ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       on conflict (terminal_id, batch) do update set closed_at = $3, debit_amount = $4, debit_count = $5, credit_amount = $6, credit_count = $7,
         terminal_debit_amount = $8, terminal_debit_count = $9, terminal_credit_amount = $10, terminal_credit_count = $11, balanced = $12`,
      [terminalId, batch, now, host.debitAmount, host.debitCount, host.creditAmount, host.creditCount,
        terminal.debitAmount, terminal.debitCount, terminal.creditAmount, terminal.creditCount, balanced]);
    const next = nextBatch(batch);
    await c.query('update iso_terminals set batch = $2, updated_at = $3 where terminal_id = $1', [terminalId, next, now]);
    await c.query('insert into iso_batches (terminal_id, batch, opened_at) values ($1, $2, $3) on conflict do nothing', [terminalId, next, now]);
    return balanced ? '1' : '2';
  });
}

/**
 * Keeps a batch upload (0320); repeats of the same (terminal, batch, STAN) are acknowledged again.
 * DE48 may carry card numbers: only its keyed hash is kept, with the item count (48.1).
 */
export async function keepUpload(ctx: Context, terminalId: number, batch: number, stan: number, network: string, de48: string): Promise<void> {
  const items = /^\d{2}/.test(de48) ? Number(de48.slice(0, 2)) : null;
  const hash = crypto.createHmac('sha256', ctx.keys.token).update(de48).digest();
  await ctx.db.pg.query(
    `insert into iso_batch_uploads (terminal_id, batch, stan, network_code, items, detail_hash, created_at) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict do nothing`, [terminalId, batch, stan, network, items, hash, ctx.clock.now()]);
}

/** A terminal batch as `purse report pos-batches` lists it (design §5b). */
export interface PosBatch {
  merchant: string; terminal: string; batch: number; opened_at: string; closed_at: string | null;
  debit_amount: number; debit_count: number; credit_amount: number; credit_count: number; balanced: boolean | null;
}

/** Terminal batches, all or those opened or closed on business-timezone date `date` (YYYY-MM-DD). */
export async function listPosBatches(ctx: Context, date?: string): Promise<PosBatch[]> {
  if (date !== undefined && !isIsoDate(date)) throw new InputError('invalid_date', '--date must be YYYY-MM-DD', 'date');
  const from = date ? zonedInstant(date, 0, ctx.calendar.timezone) : null;
  const to = date ? zonedInstant(addDays(date, 1), 0, ctx.calendar.timezone) : null;
  const { rows } = await ctx.db.pg.query<PosBatch & { opened: Date; closed: Date | null }>(
    `select m.code as merchant, t.code as terminal, b.batch, b.opened_at as opened, b.closed_at as closed,
            b.debit_amount::float8 as debit_amount, b.debit_count, b.credit_amount::float8 as credit_amount, b.credit_count, b.balanced
     from iso_batches b join terminals t on t.id = b.terminal_id join merchants m on m.id = t.merchant_id
     where $1::timestamptz is null or (b.opened_at >= $1 and b.opened_at < $2) or (b.closed_at >= $1 and b.closed_at < $2)
     order by m.code, t.code, b.batch`, [from, to]);
  const fmt = (d: Date) => shownAt(d, ctx.calendar.timezone);
  return rows.map(({ opened, closed, ...r }) => ({ ...r, opened_at: fmt(opened), closed_at: closed ? fmt(closed) : null }));
}

function shownAt(d: Date, timezone: string): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' })
    .formatToParts(d).map((x) => [x.type, x.value]));
  const off = (p.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${off}`;
}
