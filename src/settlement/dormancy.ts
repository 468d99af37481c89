import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
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
const DUE_SQL = `
  select c.id as card_id, p.code as program, p.currency, p.dormancy_fee as fee, a.balance - a.held as available
  from programs p
  join cards c on c.program_id = p.id
  join card_accounts a on a.card_id = c.id and a.asset = p.currency
  cross join lateral (
    select max(x.business_date) as last_posting from postings x
    where x.card_id = c.id and x.business_date <= $1::date
      and x.entry_kind not in (select k.kind from entry_kinds k where not k.activity)
  ) lp
  where p.dormancy_months is not null and p.dormancy_fee > 0
    and c.status in ('active', 'frozen')
    and a.balance - a.held > 0
    and greatest(lp.last_posting, (coalesce(c.activated_at, c.issued_at) at time zone $2)::date)
        + make_interval(months => p.dormancy_months) <= $1::date
    and not exists (select 1 from dormancy_charges d where d.card_id = c.id and d.month = date_trunc('month', $1::date)::date)`;

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

  const charged: Due[] = [];
  if (dryRun) {
    charged.push(...(await ctx.db.pg.query<Due>(`${DUE_SQL} order by c.id`, params)).rows);
  } else {
    const ids = (await ctx.db.pg.query<Due>(`${DUE_SQL} order by c.id`, params)).rows.map((r) => r.card_id);
    for (let i = 0; i < ids.length; i += CHUNK) {
      charged.push(...await withTransaction(ctx.db.pg, async (client) => {
        // Re-check under the balance row locks: a card used or charged meanwhile drops out.
        const { rows } = await client.query<Due>(`${DUE_SQL} and c.id = any($3::bigint[]) order by c.id for update of a`,
          [...params, ids.slice(i, i + CHUNK)]);
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
