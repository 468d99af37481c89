import cron, { type ScheduledTask } from 'node-cron';
import type { Context } from '../context.js';
import { JOBS, cronOf, type Job } from './jobs.js';
import { cronSpec, latestOccurrence, occurrencesBetween } from './occurrences.js';
import { claimRun, finishRun, jobHistory, withJobLock, type RunReason } from './job-runs.js';

/** How one occurrence of a job went in this daemon. */
export interface RunOutcome {
  job: string;
  /** The cron occurrence (ISO instant). */
  scheduled_at: string;
  reason: RunReason;
  /** `locked`: another daemon is running the job; `already_run`: the occurrence is recorded already. */
  status: 'succeeded' | 'failed' | 'locked' | 'already_run';
  result?: Record<string, unknown> | null;
  error?: string;
}

/** Most missed occurrences of an `each` job one catch-up runs (the rest follow at the next start or tick). */
const MAX_CATCH_UP = 400;

/**
 * node-cron fires on the wall clock; what is due is decided by `ctx.clock` (design §4 "Time").
 * A timer that fires up to this early waits for the clock to reach its occurrence, so the
 * occurrence is due (settlement, for one, refuses a date before its cut-off plus grace).
 */
const EARLY_FIRE_MS = 1_000;

/** `ctx.clock.now()` once it has reached `fired` (node-cron's occurrence), if that is at most EARLY_FIRE_MS away. */
async function tickTime(ctx: Context, fired: Date): Promise<Date> {
  const ahead = fired.getTime() - ctx.clock.now().getTime();
  if (ahead > 0 && ahead <= EARLY_FIRE_MS) await new Promise((r) => setTimeout(r, ahead));
  return ctx.clock.now();
}

/**
 * Runs what is due of one job at `now` (by the injectable clock), in exactly one daemon:
 * - under the job's advisory try-lock (another daemon holding it → `locked`, nothing runs);
 * - `scheduled` (a cron tick): the latest occurrence ≤ now unless already recorded — for an `each`
 *   job first every earlier occurrence since the last that succeeded (retrying failed ones), oldest
 *   first, stopping at the first failure;
 * - `catch-up` (daemon start): only for a job that has run before (a first start has missed
 *   nothing); the latest due occurrence if it has not succeeded — for an `each` job every
 *   occurrence after the last that succeeded, oldest first, stopping at the first failure.
 * Every run is recorded in job_runs with its result or error; a job's failure is recorded and
 * returned, never thrown. An aborted `signal` stops before the next occurrence.
 */
export async function runJobDue(ctx: Context, job: Job, now: Date, reason: RunReason, opts: { signal?: AbortSignal } = {}): Promise<RunOutcome[]> {
  const spec = cronSpec(cronOf(job, ctx), ctx.calendar.timezone, job.name);
  const latest = latestOccurrence(spec, now);
  if (latest === null) return [];
  const log = ctx.logger.child({ job: job.name });
  const locked = await withJobLock(ctx, job.name, async (client) => {
    const history = await jobHistory(client, job.name);
    if (reason === 'catch-up' && history.lastRecorded === null) return [];
    let targets: Date[];
    if (job.catchUp === 'each') {
      // From the last success — or, if none, just before the first failure — up to now, in order.
      const unsucceeded = history.firstUnsucceeded && new Date(history.firstUnsucceeded.getTime() - 1);
      const after = history.lastSucceeded ?? unsucceeded;
      targets = after ? occurrencesBetween(spec, after, latest, MAX_CATCH_UP) : [latest];
    } else {
      const base = reason === 'catch-up' ? history.lastSucceeded : history.lastRecorded;
      targets = base === null || latest.getTime() > base.getTime() ? [latest] : [];
    }
    const outcomes: RunOutcome[] = [];
    for (const at of targets) {
      if (opts.signal?.aborted) break; // the daemon is stopping: the rest waits for the next start
      const scheduled_at = at.toISOString();
      // The occurrence this tick is for runs once, even if it fails; an earlier one that failed is retried.
      const id = await claimRun(client, job.name, at, reason, reason === 'catch-up' || at.getTime() < latest.getTime());
      if (id === null) {
        outcomes.push({ job: job.name, scheduled_at, reason, status: 'already_run' });
        continue;
      }
      log.info({ scheduled_at, reason }, 'job started');
      try {
        const result = (await job.run(ctx, at)) ?? null;
        await finishRun(client, id, { result });
        log.info({ scheduled_at, reason, result }, 'job finished');
        outcomes.push({ job: job.name, scheduled_at, reason, status: 'succeeded', result });
      } catch (err) {
        await finishRun(client, id, { error: err });
        log.error({ err, scheduled_at, reason }, 'job failed');
        outcomes.push({ job: job.name, scheduled_at, reason, status: 'failed', error: err instanceof Error ? err.message : String(err) });
        if (job.catchUp === 'each') break; // later occurrences wait for this one
      }
    }
    return outcomes;
  });
  if (!locked.locked) {
    log.debug({ scheduled_at: latest.toISOString() }, 'job running in another daemon');
    return [{ job: job.name, scheduled_at: latest.toISOString(), reason, status: 'locked' }];
  }
  return locked.value;
}

/**
 * Runs every job's due occurrences at `now` (see runJobDue), one job after another. The cron
 * callbacks call runJobDue for their job; a starting daemon calls this with `catch-up`; tests call
 * it with any `now` to run jobs deterministically.
 */
export async function runDue(ctx: Context, now: Date, opts: { reason?: RunReason; jobs?: readonly Job[] } = {}): Promise<RunOutcome[]> {
  const out: RunOutcome[] = [];
  for (const job of opts.jobs ?? JOBS) out.push(...await runJobDue(ctx, job, now, opts.reason ?? 'scheduled'));
  return out;
}

export interface SchedulerOptions {
  /** Jobs to schedule (default JOBS). */
  jobs?: readonly Job[];
  /** Catch up missed runs at start (default true). */
  catchUp?: boolean;
}

export interface Scheduler {
  /** Settles when the start-up catch-up has finished (its outcomes; [] without catch-up). */
  caughtUp: Promise<RunOutcome[]>;
  /** Stops the cron tasks and waits (up to `deadlineMs`) for the occurrence in progress; a catch-up stops before its next one. */
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * Schedules every job with node-cron in the business time zone (`ctx.calendar.timezone`) and
 * starts the catch-up of runs missed while all daemons were down, in the background (the daemon
 * serves meanwhile). Each tick runs `runJobDue(ctx, job, ctx.clock.now(), 'scheduled')`.
 */
export function startScheduler(ctx: Context, opts: SchedulerOptions = {}): Scheduler {
  const jobs = opts.jobs ?? JOBS;
  const log = ctx.logger.child({ unit: 'scheduler' });
  const inFlight = new Set<Promise<unknown>>();
  const stopping = new AbortController();
  const { signal } = stopping;
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  };
  const cronLogger = {
    info: (m: string) => log.debug(m),
    warn: (m: string) => log.warn(m),
    error: (m: string | Error, err?: Error) => log.error({ err: err ?? m }, 'node-cron'),
    debug: (m: string | Error) => log.debug({ msg: String(m) }, 'node-cron'),
  };
  const tasks: ScheduledTask[] = jobs.map((job) => {
    const expression = cronOf(job, ctx);
    cronSpec(expression, ctx.calendar.timezone, job.name); // fail at start on a bad expression
    return cron.schedule(expression, (tick) => {
      if (signal.aborted) return;
      const run = tickTime(ctx, tick.date).then((now) => (signal.aborted ? [] : runJobDue(ctx, job, now, 'scheduled', { signal })));
      void track(run).catch((err: unknown) => log.error({ err, job: job.name }, 'scheduled run failed'));
    }, { timezone: ctx.calendar.timezone, name: `purse-${job.name}`, logger: cronLogger });
  });
  log.info({ jobs: jobs.map((j) => ({ name: j.name, cron: cronOf(j, ctx) })), timezone: ctx.calendar.timezone }, 'scheduler started');

  const catchUp = async (): Promise<RunOutcome[]> => {
    const out: RunOutcome[] = [];
    for (const job of jobs) {
      if (signal.aborted) break;
      try {
        out.push(...await runJobDue(ctx, job, ctx.clock.now(), 'catch-up', { signal }));
      } catch (err) {
        log.error({ err, job: job.name }, 'catch-up failed');
      }
    }
    return out;
  };
  const caughtUp = opts.catchUp === false ? Promise.resolve([]) : track(catchUp());

  return {
    caughtUp,
    async stop(deadlineMs = 10_000) {
      stopping.abort();
      await Promise.all(tasks.map((t) => t.destroy()));
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
      await Promise.race([Promise.allSettled([...inFlight]), deadline]);
      log.info('scheduler stopped');
    },
  };
}
