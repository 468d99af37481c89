import os from 'node:os';
import type pg from 'pg';
import type { Context } from '../context.js';
import { mapDbError } from '../db/errors.js';
import { PurseError } from '../errors.js';
import { scrubPans } from '../cards/luhn.js';

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
}

export async function jobHistory(db: pg.Pool | pg.PoolClient, job: string): Promise<JobHistory> {
  const { rows } = await db.query<{ last_recorded: Date | null; last_succeeded: Date | null }>({
    name: 'scheduler_job_history',
    text: `select max(scheduled_at) as last_recorded, max(scheduled_at) filter (where status = 'succeeded') as last_succeeded
           from job_runs where job = $1`,
    values: [job],
  });
  return { lastRecorded: rows[0]?.last_recorded ?? null, lastSucceeded: rows[0]?.last_succeeded ?? null };
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
 * id, or null when the occurrence already has a run that must not be repeated: a scheduled run
 * never repeats a recorded occurrence (another daemon fired a few ms earlier and finished), a
 * catch-up retries one that failed or whose runner died (a `running` row while we hold the lock).
 */
export async function claimRun(client: pg.PoolClient, job: string, scheduledAt: Date, reason: RunReason): Promise<number | null> {
  const { rows } = await client.query<{ id: number }>({
    name: 'scheduler_claim_run',
    text: `insert into job_runs (job, scheduled_at, reason, runner, status)
           values ($1, $2, $3, $4, 'running')
           on conflict (job, scheduled_at) do update
             set attempts = job_runs.attempts + 1, reason = excluded.reason, runner = excluded.runner, started_at = now(),
                 finished_at = null, status = 'running', result = null, error = null
             where job_runs.status <> 'succeeded' and excluded.reason = 'catch-up'
           returning id`,
    values: [job, scheduledAt, reason, RUNNER],
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
