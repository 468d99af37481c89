import os from 'node:os';
import type pg from 'pg';
import type { Context } from '../context.js';
import { mapDbError } from '../db/errors.js';
import { PurseError } from '../errors.js';
import { scrubPans } from '../cards/luhn.js';
import type { Metrics } from './metrics.js';

/** Advisory lock class of scheduled jobs (7216 is the business-date lock of the ledger). */
const JOB_LOCK_CLASS = 7217;

export type RunReason = 'scheduled' | 'catch-up';

/** This daemon, as recorded in job_runs.runner. */
export const RUNNER = `${os.hostname()}:${process.pid}`;

/** What the job_runs table says about a job. */
export interface JobHistory {
  /** Latest occurrence with any run recorded (running, succeeded or failed). */
  lastRecorded: Date | null;
  /** Latest occurrence that succeeded. */
  lastSucceeded: Date | null;
  /** Earliest occurrence after lastSucceeded whose run failed or was interrupted. */
  firstUnsucceeded: Date | null;
}

export async function jobHistory(db: pg.Pool | pg.PoolClient, job: string): Promise<JobHistory> {
  const { rows } = await db.query<{ last_recorded: Date | null; last_succeeded: Date | null; first_unsucceeded: Date | null }>({
    name: 'scheduler_job_history',
    text: `with h as (
             select max(scheduled_at) as last_recorded, max(scheduled_at) filter (where status = 'succeeded') as last_succeeded
             from job_runs where job = $1)
           select h.last_recorded, h.last_succeeded,
                  (select min(r.scheduled_at) from job_runs r
                   where r.job = $1 and r.status <> 'succeeded' and r.scheduled_at > coalesce(h.last_succeeded, '-infinity')) as first_unsucceeded
           from h`,
    values: [job],
  });
  const r = rows[0];
  return { lastRecorded: r?.last_recorded ?? null, lastSucceeded: r?.last_succeeded ?? null, firstUnsucceeded: r?.first_unsucceeded ?? null };
}

/**
 * Runs `fn` holding the job's session advisory lock on a connection of its own, or returns
 * `{ locked: false }` at once when another daemon (or another run in this one) holds it. The
 * lock is released on return; if the connection breaks, the server drops it with the session.
 */
export async function withJobLock<T>(ctx: Context, job: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<{ locked: true; value: T } | { locked: false }> {
  let client: pg.PoolClient;
  try {
    client = await ctx.db.pg.connect();
  } catch (err) {
    throw mapDbError(err);
  }
  let broken = false;
  try {
    const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [JOB_LOCK_CLASS, job]);
    if (!rows[0]!.ok) return { locked: false };
    try {
      return { locked: true, value: await fn(client) };
    } finally {
      await client.query('select pg_advisory_unlock($1, hashtext($2))', [JOB_LOCK_CLASS, job]).catch(() => { broken = true; });
    }
  } catch (err) {
    broken = true;
    throw mapDbError(err);
  } finally {
    client.release(broken);
  }
}

/**
 * Claims one occurrence for this daemon; call only while holding the job's lock. Returns the run
 * id, or null when the occurrence already has a run that must not be repeated. A succeeded run is
 * never repeated. With `retake`, a run that failed or whose runner died (a `running` row while we
 * hold the lock) is taken over; without it, any recorded run counts — so a daemon firing a few ms
 * after another one finished the same occurrence, even unsuccessfully, does not run it again.
 */
export async function claimRun(client: pg.PoolClient, job: string, scheduledAt: Date, reason: RunReason, retake: boolean): Promise<number | null> {
  const { rows } = await client.query<{ id: number }>({
    name: 'scheduler_claim_run',
    text: `insert into job_runs (job, scheduled_at, reason, runner, status)
           values ($1, $2, $3, $4, 'running')
           on conflict (job, scheduled_at) do update
             -- excluded.started_at: the column's default now(); Citus refuses now() itself in the DO UPDATE of a reference table
             set attempts = job_runs.attempts + 1, reason = excluded.reason, runner = excluded.runner, started_at = excluded.started_at,
                 finished_at = null, status = 'running', result = null, error = null
             where job_runs.status <> 'succeeded' and $5::boolean
           returning id`,
    values: [job, scheduledAt, reason, RUNNER, retake],
  });
  return rows[0]?.id ?? null;
}

/** Records how a claimed run ended. */
export async function finishRun(client: pg.PoolClient, id: number, outcome: { result?: Record<string, unknown> | null; error?: unknown }): Promise<void> {
  const failed = outcome.error !== undefined;
  await client.query({
    name: 'scheduler_finish_run',
    text: `update job_runs set status = $2, finished_at = now(), result = $3::jsonb, error = $4 where id = $1`,
    values: [id, failed ? 'failed' : 'succeeded', failed ? null : JSON.stringify(outcome.result ?? null), failed ? errorText(outcome.error) : null],
  });
}

function errorText(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = e instanceof PurseError ? e.code : e.name;
  // Card numbers never reach the table, whatever a job's error says.
  return scrubPans(`${code}: ${e.message}`).slice(0, 2000);
}

/**
 * Adds `purse_job_last_success_timestamp_seconds{job}` to the daemon's metrics: when each job last
 * finished successfully (read from job_runs at each scrape, so it covers runs by any daemon).
 */
export function jobSuccessGauge(ctx: Context, metrics: Metrics): void {
  metrics.gauge('purse_job_last_success_timestamp_seconds', 'When each scheduled job last succeeded (Unix seconds), by any daemon.', ['job'], async (set) => {
    const { rows } = await ctx.db.pg.query<{ job: string; at: number }>({
      name: 'metrics_job_last_success',
      text: `select job, extract(epoch from max(finished_at))::float8 as at from job_runs where status = 'succeeded' group by job order by job`,
    });
    for (const r of rows) set({ job: r.job }, r.at);
  });
}
