import type { Queryable } from '../ledger/post.js';
import { postEntries } from '../ledger/post.js';
import { balancedEntry } from '../ledger/entry.js';
import { breakageMemo } from '../ledger/flows/index.js';
import { bpsOf, roundDiv } from '../ledger/money.js';

/** A cohort's redemption history as of the run date, with what the memo books recognised so far. */
export interface CohortHistory {
  cohort: string;
  fully_expired: boolean;
  loaded: number;
  redeemed: number;
  recognised_before: number;
}

/** One line of the computation an auditor follows (also stored in breakage_cohorts). */
export interface CohortLine extends CohortHistory {
  program: string;
  rate_bps: number;
  rate_source: 'actual' | 'configured' | 'estimated' | 'none';
  expected_breakage: number;
  expected_redemptions: number;
  recognised_to_date: number;
  true_up: number;
}

/**
 * The proportional method (ASC 606-10-55-48 / IFRS 15 B46 / CAS 14) for one program's cohorts,
 * given oldest first. Per cohort:
 * - rate: once the cohort has fully expired, its actual breakage (B = loaded − redeemed, exact);
 *   else the configured `breakage_rate_bps`; else the loaded-weighted rate of the older fully
 *   expired cohorts, r(10000 × (ΣL − ΣR) / ΣL) bps; with no such history, none (B = 0: nothing
 *   is recognised before the value is derecognised).
 * - B = r(loaded × rate / 10000), E = loaded − B;
 * - recognised to date = min(B, r(B × redeemed / E)) (B when E ≤ 0);
 * - true-up = recognised to date − recognised before (negative when the estimate fell).
 * Pure: the same history always gives the same schedule.
 */
export function proportionalSchedule(program: string, configuredBps: number | null, cohorts: readonly CohortHistory[]): CohortLine[] {
  let pooledLoaded = 0;
  let pooledRedeemed = 0;
  return cohorts.map((c) => {
    let rateBps = 0;
    let source: CohortLine['rate_source'] = 'none';
    let b: number;
    const loaded = Math.max(0, c.loaded);
    const redeemed = Math.max(0, c.redeemed);
    if (c.fully_expired) {
      source = 'actual';
      b = Math.max(0, loaded - redeemed);
      rateBps = loaded > 0 ? Math.min(10_000, roundDiv(b * 10_000, loaded)) : 0;
    } else {
      if (configuredBps !== null) {
        source = 'configured';
        rateBps = configuredBps;
      } else if (pooledLoaded > 0) {
        source = 'estimated';
        rateBps = Math.min(10_000, Math.max(0, roundDiv((pooledLoaded - pooledRedeemed) * 10_000, pooledLoaded)));
      }
      b = bpsOf(loaded, rateBps);
    }
    const e = loaded - b;
    const toDate = b <= 0 ? 0 : e <= 0 ? b : Math.min(b, roundDiv(b * redeemed, e));
    if (c.fully_expired) {
      pooledLoaded += loaded;
      pooledRedeemed += Math.min(redeemed, loaded);
    }
    return {
      ...c, program, rate_bps: rateBps, rate_source: source, expected_breakage: b, expected_redemptions: e,
      recognised_to_date: toDate, true_up: toDate - c.recognised_before,
    };
  });
}

interface ProgramRow { id: number; code: string; issuer_id: number; currency: string; breakage_rate_bps: number | null }

/** The computed lines of one program plus what posting them needs. */
export interface ProgramSchedule { program: ProgramRow; lines: CohortLine[] }

// Cohort = calendar month (business time zone) in which the card's original card was issued: a
// replacement card stays in the cohort of the card it replaced, so replacement transfers net out
// inside a cohort. Each card-value leg counts by its kind's entry_kinds.cohort_flow (a void or
// reversal as the kind of the entry it negates): loaded = `load` (bulk_load, load, activate);
// redeemed = `redemption`, every other value leaving the card except transfers (replacement) and
// derecognition (breakage, escheat, breakage_reversal). So loaded − redeemed − derecognised = what
// is still on the cohort's cards.
// The cards of the cohorts ($3 card ids, $4 their root card's program, $5 its cohort: lineageOf)
// meet the cards and postings as a materialized list: on Citus cards are placed by card id and
// postings by entry id, and only a list that is already worked out (an intermediate result there)
// joins the postings by card; the recursive walk along cards.replaced_by is done in lineageOf,
// as Citus runs no recursive query over distributed tables.
const HISTORY_SQL = `
  with lineage as materialized (
    select * from unnest($3::bigint[], $4::bigint[], $5::text[]) as l(card_id, program_id, cohort)
  ), members as materialized (
    select l.card_id, l.program_id, l.cohort, m.expiry_date
    from lineage l join cards m on m.id = l.card_id
    where (m.issued_at at time zone $2)::date <= $1::date
  ), flows as (
    select m.program_id, m.cohort,
      coalesce(sum(p.amount) filter (where coalesce(f.cohort_flow, 'redemption') = 'load'), 0) as loaded,
      coalesce(-sum(p.amount) filter (where coalesce(f.cohort_flow, 'redemption') = 'redemption'), 0) as redeemed
    from members m
    join programs g on g.id = m.program_id
    join postings p on p.card_id = m.card_id and p.asset = g.currency and p.business_date <= $1::date
    -- a void or reversal counts as the kind it undoes (postings.reverses_kind, migration 000100);
    -- an undo naming a kind not listed counts as a redemption, as any other value leaving the card
    left join entry_kinds f on f.kind = coalesce(p.reverses_kind, p.entry_kind)
    group by 1, 2
  ), cohorts as (
    select program_id, cohort, bool_and(coalesce(expiry_date < $1::date, false)) as fully_expired
    from members group by 1, 2
  )
  select c.program_id, c.cohort, c.fully_expired, coalesce(f.loaded, 0)::bigint as loaded, coalesce(f.redeemed, 0)::bigint as redeemed
  from cohorts c left join flows f using (program_id, cohort)
  order by c.program_id, c.cohort`;

/**
 * Every card of the proportional programs' cohorts with its root card's program and cohort (the
 * calendar month, business time zone, in which the root was issued): the roots are the programs'
 * cards that replace no other card, and each replacement (cards.replaced_by) joins its
 * predecessor's cohort, whatever its own program.
 */
async function lineageOf(db: Queryable, timezone: string): Promise<{ ids: number[]; programs: number[]; cohorts: string[] }> {
  const { rows: links } = await db.query<{ id: number; replaced_by: number }>('select id, replaced_by from cards where replaced_by is not null');
  const { rows: cards } = await db.query<{ id: number; program_id: number; cohort: string }>(`
    select c.id, c.program_id, to_char(c.issued_at at time zone $1, 'YYYY-MM') as cohort
    from cards c join programs p on p.id = c.program_id
    where p.breakage_method = 'proportional'
    order by c.id`, [timezone]);
  const next = new Map(links.map((l) => [l.id, l.replaced_by]));
  const replacements = new Set(links.map((l) => l.replaced_by));
  const out = { ids: [] as number[], programs: [] as number[], cohorts: [] as string[] };
  for (const root of cards) {
    if (replacements.has(root.id)) continue;
    const seen = new Set<number>();
    for (let id: number | undefined = root.id; id !== undefined && !seen.has(id); id = next.get(id)) {
      seen.add(id);
      out.ids.push(id);
      out.programs.push(root.program_id);
      out.cohorts.push(root.cohort);
    }
  }
  return out;
}

/**
 * Reads every proportional program's cohorts as of `asOf` (postings with business_date ≤ asOf,
 * cards issued on or before it) and the memo income already recognised per cohort, and computes
 * the schedule. Run it under the breakage lock so the recognised-before figures cannot move.
 */
export async function proportionalSchedules(db: Queryable, asOf: string, timezone: string): Promise<ProgramSchedule[]> {
  const programs = (await db.query<ProgramRow>(`
    select p.id, p.code, p.issuer_id, p.currency, p.breakage_rate_bps from programs p
    where p.breakage_method = 'proportional' order by p.code`)).rows;
  if (programs.length === 0) return [];
  const lineage = await lineageOf(db, timezone);
  const history = (await db.query<{ program_id: number; cohort: string; fully_expired: boolean; loaded: number; redeemed: number }>(
    HISTORY_SQL, [asOf, timezone, lineage.ids, lineage.programs, lineage.cohorts])).rows;
  const recognised = (await db.query<{ program_id: number; cohort: string; amount: number }>(`
    select (e.memo->>'program_id')::bigint as program_id, e.memo->>'cohort' as cohort, sum(l.amount)::bigint as amount
    from entries e join postings l on l.entry_id = e.id and l.account like 'memo:breakage_income:%'
    where e.kind = 'breakage_memo'
    group by 1, 2`)).rows;
  const before = new Map(recognised.map((r) => [`${r.program_id}/${r.cohort}`, r.amount]));
  return programs.map((program) => {
    const cohorts = history.filter((h) => h.program_id === program.id).map((h) => ({
      cohort: h.cohort, fully_expired: h.fully_expired, loaded: h.loaded, redeemed: h.redeemed,
      recognised_before: before.get(`${program.id}/${h.cohort}`) ?? 0,
    }));
    return { program, lines: proportionalSchedule(program.code, program.breakage_rate_bps, cohorts) };
  });
}

/**
 * Posts one `breakage_memo` entry per cohort with a non-zero true-up: memo:breakage_income:<issuer>
 * +x, memo:breakage_reserve:<program> −x (accounting only; settlement ignores memo accounts).
 * Returns the entry id per line (null where nothing was posted).
 */
export async function postMemoTrueUps(
  db: Queryable, businessDate: string, schedules: readonly ProgramSchedule[], asOf: string, runId: number, now: Date,
): Promise<Map<CohortLine, number>> {
  const todo = schedules.flatMap((s) => s.lines.filter((l) => l.true_up !== 0).map((line) => ({ s, line })));
  const ids = await postEntries(db, businessDate, todo.map(({ s, line }) => balancedEntry('breakage_memo',
    breakageMemo({ issuerId: s.program.issuer_id, programId: s.program.id, currency: s.program.currency, amount: line.true_up }), { occurredAt: now, memo: { as_of: asOf, program_id: s.program.id, cohort: line.cohort, run_id: runId } })));
  return new Map(todo.map(({ line }, i) => [line, ids[i]!]));
}
