import type { Context } from '../context.js';
import { expireDueHolds } from '../ledger/holds.js';
import { expireCards } from '../settlement/expiry.js';
import { chargeDormancy } from '../settlement/dormancy.js';
import { runBreakage } from '../settlement/breakage.js';
import { businessDateOf } from '../ledger/calendar.js';
import { expirePoints } from '../points/expiry.js';
import { settleBusinessDate } from '../settlement/settle.js';

/**
 * A scheduled job (design §2): the scheduler (src/daemon/scheduler.ts) runs it on its cron
 * expression in exactly one daemon (advisory lock), records every run in job_runs, and catches up
 * a run missed while all daemons were down.
 */
export interface Job {
  /** Lower-case name, recorded with every run (job_runs.job). */
  name: string;
  /** node-cron expression, evaluated in the business time zone; a function when it depends on configuration. */
  cron: string | ((ctx: Context) => string);
  /**
   * Which missed occurrences a catch-up runs: `latest` (default) only the latest due one — the job
   * works as of the clock, so one run covers the gap; `each` every one, oldest first — the job
   * works on its occurrence (one settlement per business date).
   */
  catchUp?: 'latest' | 'each';
  /** Runs the occurrence scheduled at `occurrence`; returns a JSON-able result for job_runs.result. */
  run(ctx: Context, occurrence: Date): Promise<Record<string, unknown> | void>;
}

/** The job's cron expression under `ctx`'s configuration. */
export function cronOf(job: Job, ctx: Context): string {
  return typeof job.cron === 'string' ? job.cron : job.cron(ctx);
}

/**
 * A daily cron expression `minutes` after the business day closes (cut-off plus the settle grace
 * period), in the business time zone; minutes wrap past midnight. With the default 00:00 cut-off
 * and 5 minutes of grace, `afterClose(0)` is 00:05.
 */
export function afterClose(minutes: number): (ctx: Context) => string {
  return (ctx) => {
    const at = (ctx.calendar.cutoffMinutes + ctx.config.settleGraceMinutes + minutes) % 1440;
    return `${at % 60} ${Math.floor(at / 60)} * * *`;
  };
}

/** End of day: at cut-off plus the settle grace period. */
export const settlementCron = afterClose(0);

/** The business date that ended at the settlement occurrence `at` (its cut-off is `at` minus the grace). */
export function dateEndedBy(ctx: Context, at: Date): string {
  return businessDateOf(new Date(at.getTime() - ctx.config.settleGraceMinutes * 60_000 - 1), ctx.calendar);
}

/** Every job the daemon schedules. Each capability adds its own. */
export const JOBS: Job[] = [
  // Business-date settlement (issue 6): the date just ended, once its cut-off plus grace has passed;
  // a catch-up settles each missed date in order (settle refuses a date while an earlier one is open).
  { name: 'settlement', cron: settlementCron, catchUp: 'each', run: async (ctx, at) => {
    const r = await settleBusinessDate(ctx, { date: dateEndedBy(ctx, at) });
    return { business_date: r.business_date, posted: r.posted, balanced: r.balanced, entries: r.entries, out_dir: r.out_dir, summary: r.summary };
  } },
  // Residual value (issue 7), after the day closes: expire cards, then charge the month's dormancy
  // fees (idempotent per card and month), then run breakage as of today. With the default cut-off
  // and grace: 00:10, 01:30 and 02:00.
  { name: 'card-expiry', cron: afterClose(5), run: async (ctx) => ({ ...await expireCards(ctx) }) },
  { name: 'dormancy', cron: afterClose(85), run: async (ctx) => ({ ...await chargeDormancy(ctx) }) },
  { name: 'breakage', cron: afterClose(115), run: async (ctx) => {
    const r = await runBreakage(ctx, { asOf: businessDateOf(ctx.clock.now(), ctx.calendar) });
    return { as_of: r.as_of, run_id: r.run_id, remote_amount: r.remote.amount, escheat_amount: r.remote.escheat_amount, memo_true_up: r.proportional.true_up, report: r.report.json };
  } },
  // Loyalty points (issue 4): expired lots leave as points breakage, once, after the day closes (00:20).
  { name: 'points-expiry', cron: afterClose(15), run: async (ctx) => ({ ...await expirePoints(ctx, ctx.clock.now()) }) },
  // Authorization daemon (issue 3): release preauth holds past their expiry, each exactly once.
  { name: 'hold-expiry', cron: '*/5 * * * *', run: async (ctx) => ({ ...await expireDueHolds(ctx) }) },
];
