import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { InputError } from '../errors.js';
import { openBusinessDate } from '../ledger/business-date.js';
import type { Queryable } from '../ledger/post.js';
import { safeCell } from '../batch/safe-cell.js';
import { businessDateOf, cutoffInstant, isIsoDate } from '../ledger/calendar.js';
import { expirePoints, type ExpiryResult } from '../points/expiry.js';
import { derecogniseExpired, type RemoteResult } from './breakage-remote.js';
import { postMemoTrueUps, proportionalSchedules, type CohortLine } from './breakage-proportional.js';

/** What `purse breakage run` reports (and `--json` prints). */
export interface BreakageRun {
  as_of: string;
  dry_run: boolean;
  /** breakage_runs.id; null for a dry run. */
  run_id: number | null;
  remote: RemoteResult;
  proportional: { true_up: number; cohorts: (CohortLine & { entry_id: number | null })[] };
  /** Points lots expired by the end of the as-of date, as points breakage; null for a dry run. */
  points: ExpiryResult | null;
  report: { csv: string; json: string };
}

/** Default directory of the computation reports. */
export const DEFAULT_BREAKAGE_DIR = path.join('batches', 'breakage');

// Advisory lock (namespace 7217, key 1) serialising the memo part of breakage runs, so two runs at
// once cannot both post the same true-up.
const LOCK_SQL = 'select pg_advisory_xact_lock(7217, 1)';

const COLUMNS = ['program', 'cohort', 'fully_expired', 'loaded', 'redeemed', 'rate_bps', 'rate_source', 'expected_breakage',
  'expected_redemptions', 'recognised_before', 'recognised_to_date', 'true_up', 'entry_id'] as const;
const AMOUNT_COLUMNS = new Set<string>(['loaded', 'redeemed', 'expected_breakage', 'expected_redemptions', 'recognised_before', 'recognised_to_date', 'true_up']);

/**
 * `purse breakage run --as-of D`: applies each program's breakage method as of business date D
 * (not after today's business date, and for a posting run not before the latest earlier run's D).
 * 1. Remote derecognition of value on cards expired longer than the grace period (every program;
 *    see `derecogniseExpired`), exactly once per card.
 * 2. For `proportional` programs, the cohort schedule of `proportionalSchedule`, posting each
 *    cohort's true-up as a `breakage_memo` entry (memo accounts only).
 * 3. Points lots expired by the end of D leave as points breakage (`expirePoints`, exactly once).
 * Running twice posts once: the second run finds no value left to derecognise and true-ups of 0.
 * Writes the computation report `breakage-<D>-run<id>.csv|json` (or `-dry-run`) into `outDir`.
 * `dryRun` computes and reports everything, posting and recording nothing.
 */
export async function runBreakage(ctx: Context, input: { asOf: unknown; dryRun?: boolean; outDir?: string }): Promise<BreakageRun> {
  const asOf = input.asOf;
  if (typeof asOf !== 'string' || !isIsoDate(asOf)) throw new InputError('invalid_date', 'as_of must be a date YYYY-MM-DD', 'as_of');
  const today = businessDateOf(ctx.clock.now(), ctx.calendar);
  if (asOf > today) throw new InputError('future_date', `as_of ${asOf} is after today's business date ${today}`, 'as_of');
  const dryRun = input.dryRun ?? false;
  if (!dryRun) await checkNotBeforeLastRun(ctx.db.pg, asOf);

  const remote = await derecogniseExpired(ctx, asOf, dryRun);
  const { runId, cohorts } = await withTransaction(ctx.db.pg, async (client) => {
    await client.query(LOCK_SQL);
    if (!dryRun) await checkNotBeforeLastRun(client, asOf);
    const schedules = await proportionalSchedules(client, asOf, ctx.calendar.timezone);
    const lines = schedules.flatMap((s) => s.lines);
    const trueUp = lines.reduce((sum, l) => sum + l.true_up, 0);
    if (dryRun) return { runId: null, cohorts: lines.map((l) => ({ ...l, entry_id: null })) };
    const now = ctx.clock.now();
    const { rows } = await client.query<{ id: number }>(`
      insert into breakage_runs (as_of, occurred_at, remote_cards, remote_amount, escheat_cards, escheat_amount, memo_true_up)
      values ($1, $2, $3, $4, $5, $6, $7) returning id`,
      [asOf, now, remote.cards, remote.amount, remote.escheat_cards, remote.escheat_amount, trueUp]);
    const id = rows[0]!.id;
    const date = await openBusinessDate(client, now, ctx.calendar);
    const entryIds = await postMemoTrueUps(client, date, schedules, asOf, id, now);
    const out: BreakageRun['proportional']['cohorts'] = [];
    for (const s of schedules) {
      for (const l of s.lines) {
        const entryId = entryIds.get(l) ?? null;
        out.push({ ...l, entry_id: entryId });
        await client.query(`
          insert into breakage_cohorts (run_id, program_id, cohort, fully_expired, loaded, redeemed, rate_bps, rate_source,
            expected_breakage, expected_redemptions, recognised_before, recognised_to_date, true_up, entry_id)
          values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
          [id, s.program.id, l.cohort, l.fully_expired, l.loaded, l.redeemed, l.rate_bps, l.rate_source, l.expected_breakage,
            l.expected_redemptions, l.recognised_before, l.recognised_to_date, l.true_up, entryId]);
      }
    }
    return { runId: id, cohorts: out };
  });

  const points = dryRun ? null : await expirePoints(ctx, cutoffInstant(asOf, ctx.calendar));

  const dir = input.outDir ?? DEFAULT_BREAKAGE_DIR;
  const base = path.join(dir, `breakage-${asOf}-${runId === null ? 'dry-run' : `run${runId}`}`);
  const result: BreakageRun = {
    as_of: asOf, dry_run: dryRun, run_id: runId, remote,
    proportional: { true_up: cohorts.reduce((s, l) => s + l.true_up, 0), cohorts },
    points,
    report: { csv: `${base}.csv`, json: `${base}.json` },
  };
  await writeReport(result);
  ctx.logger.info({ job: 'breakage', as_of: asOf, dry_run: dryRun, run_id: runId, remote_amount: remote.amount,
    escheat_amount: remote.escheat_amount, memo_true_up: result.proportional.true_up }, 'breakage run');
  return result;
}

async function checkNotBeforeLastRun(db: Queryable, asOf: string): Promise<void> {
  const { rows } = await db.query<{ last: string | null }>('select max(as_of) as last from breakage_runs');
  const last = rows[0]?.last ?? null;
  if (last !== null && asOf < last) {
    throw new InputError('as_of_before_last_run', `as_of ${asOf} is before the last breakage run's as-of date ${last}`, 'as_of');
  }
}

async function writeReport(run: BreakageRun): Promise<void> {
  await fs.mkdir(path.dirname(run.report.csv), { recursive: true });
  const csv = stringify(run.proportional.cohorts.map((l) => COLUMNS.map((c) => safeCell(l[c], { amount: AMOUNT_COLUMNS.has(c) }))),
    { header: true, columns: [...COLUMNS], record_delimiter: 'unix' });
  await atomicWrite(run.report.csv, csv);
  await atomicWrite(run.report.json, `${JSON.stringify(run, null, 2)}\n`);
}

async function atomicWrite(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, text, 'utf8');
  await fs.rename(tmp, file);
}
