import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import type { Queryable } from '../ledger/post.js';
import { InputError } from '../errors.js';
import { postEntries } from '../ledger/post.js';
import { balancedEntry } from '../ledger/entry.js';
import { dormancyFee } from '../ledger/flows/index.js';
import { openBusinessDate } from '../ledger/business-date.js';
import { businessDateOf, isIsoDate } from '../ledger/calendar.js';

export interface DormancyResult {
  as_of: string;
  /** The calendar month charged (first day). */
  month: string;
  dry_run: boolean;
  cards: number;
  amount: number;
  programs: { program: string; cards: number; amount: number }[];
}

interface Due { card_id: number; program: string; currency: string; fee: number; available: number }

const CHUNK = 500;

// A card is dormant as of D when its last activity — the later of its latest posting of a kind
// entry_kinds counts as activity (a dormancy fee is not) and its activation (or issue) — lies at least dormancy_months before D: with 12 months, activity on 2025-03-10 makes it
// dormant from 2026-03-10 on. Only active and frozen cards pay (an expired card's value must stay
// recoverable); one charge per card and calendar month (dormancy_charges primary key).
// The cards' latest postings come from LAST_POSTINGS_SQL, passed in as arrays ($3, $4; empty for
// the first pass, which lists the candidates by their other dates): on Citus postings are not
// placed by card, and a per-card subquery over them from a card row is refused.
const DUE_SQL = `
  select c.id as card_id, p.code as program, p.currency, p.dormancy_fee as fee, a.balance - a.held as available
  from programs p
  join cards c on c.program_id = p.id
  join card_accounts a on a.card_id = c.id and a.asset = p.currency
  left join unnest($3::bigint[], $4::date[]) as lp(card_id, last_posting) on lp.card_id = c.id
  where p.dormancy_months is not null and p.dormancy_fee > 0
    and c.status in ('active', 'frozen')
    and a.balance - a.held > 0
    and greatest(lp.last_posting, (coalesce(c.activated_at, c.issued_at) at time zone $2)::date)
        + make_interval(months => p.dormancy_months) <= $1::date
    and not exists (select 1 from dormancy_charges d where d.card_id = c.id and d.month = date_trunc('month', $1::date)::date)`;

// Each card's latest posting up to D of a kind that counts as activity ($3: the kinds that do not).
const LAST_POSTINGS_SQL = `
  select card_id, max(business_date)::text as last_posting from postings
  where card_id = any($1::bigint[]) and business_date <= $2::date and entry_kind <> all($3::text[])
  group by card_id`;

/** The due cards among `ids` (in id order), their latest postings read first. */
async function dueAmong(db: Queryable, params: unknown[], ids: number[], inactive: string[]): Promise<Due[]> {
  const { rows: last } = await db.query<{ card_id: number; last_posting: string }>(LAST_POSTINGS_SQL, [ids, params[0], inactive]);
  const { rows } = await db.query<Due>(`${DUE_SQL} and c.id = any($5::bigint[]) order by c.id`,
    [...params, last.map((r) => r.card_id), last.map((r) => r.last_posting), ids]);
  return rows;
}

/**
 * The dormancy job: charges each dormant card of a program with a dormancy period and a monthly
 * fee (both off by default) `min(fee, available balance)` — never below zero, never touching
 * value held by an open pre-authorization — at most once per calendar month (`dormancy_fee`
 * entry: card value −d; revenue:dormancy_fees +d). `asOf` defaults to today's business date and
 * may not be later; `dryRun` reports without posting.
 */
export async function chargeDormancy(ctx: Context, input: { asOf?: unknown; dryRun?: boolean } = {}): Promise<DormancyResult> {
  const today = businessDateOf(ctx.clock.now(), ctx.calendar);
  const asOf = input.asOf === undefined || input.asOf === null || input.asOf === '' ? today : input.asOf;
  if (typeof asOf !== 'string' || !isIsoDate(asOf)) throw new InputError('invalid_date', 'as_of must be a date YYYY-MM-DD', 'as_of');
  if (asOf > today) throw new InputError('future_date', `as_of ${asOf} is after today's business date ${today}`, 'as_of');
  const dryRun = input.dryRun ?? false;
  const month = `${asOf.slice(0, 7)}-01`;
  const params = [asOf, ctx.calendar.timezone];

  const { rows: [kinds] } = await ctx.db.pg.query<{ inactive: string[] }>(
    `select coalesce(array_agg(kind), '{}') as inactive from entry_kinds where not activity`);
  const inactive = kinds!.inactive;
  // Candidates by their other dates (a latest posting can only make a card less dormant).
  const ids = (await ctx.db.pg.query<Due>(`${DUE_SQL} order by c.id`, [...params, [], []])).rows.map((r) => r.card_id);
  const charged: Due[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    if (dryRun) {
      charged.push(...await dueAmong(ctx.db.pg, params, chunk, inactive));
      continue;
    }
    charged.push(...await withTransaction(ctx.db.pg, async (client) => {
      // Re-check under the balance row locks (one single-shard lock per card on Citus, in card
      // order as on a single server): a card used or charged meanwhile drops out.
      await client.query('select 1 from purse_citus_lock_accounts($1::bigint[])', [chunk]);
      const rows = await dueAmong(client, params, chunk, inactive);
      if (rows.length === 0) return [];
      const now = ctx.clock.now();
      const date = await openBusinessDate(client, now, ctx.calendar);
      const entryIds = await postEntries(client, date, rows.map((r) => balancedEntry('dormancy_fee',
        dormancyFee({ cardId: r.card_id, currency: r.currency, fee: r.fee, available: r.available }).legs,
        { occurredAt: now, memo: { card_id: r.card_id, month } })));
      await client.query(`
        insert into dormancy_charges (card_id, month, amount, entry_id)
        select card_id, $1::date, amount, entry_id from unnest($2::bigint[], $3::bigint[], $4::bigint[]) as x(card_id, amount, entry_id)`,
        [month, rows.map((r) => r.card_id), rows.map((r) => Math.min(r.fee, r.available)), entryIds]);
      return rows;
    }));
  }
  const programs = new Map<string, { program: string; cards: number; amount: number }>();
  for (const r of charged) {
    const line = programs.get(r.program) ?? { program: r.program, cards: 0, amount: 0 };
    line.cards += 1;
    line.amount += Math.min(r.fee, r.available);
    programs.set(r.program, line);
  }
  const result: DormancyResult = {
    as_of: asOf, month, dry_run: dryRun, cards: charged.length,
    amount: charged.reduce((s, r) => s + Math.min(r.fee, r.available), 0),
    programs: [...programs.values()].sort((a, b) => (a.program < b.program ? -1 : 1)),
  };
  ctx.logger.info({ job: 'dormancy', as_of: asOf, dry_run: dryRun, cards: result.cards, amount: result.amount }, 'dormancy fees');
  return result;
}
