import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { testContext, type TestContext } from '../helpers/db.js';
import { openDb } from '../../src/db/pool.js';
import { ManualClock } from '../../src/clock.js';
import { JOBS, cronOf, type Job } from '../../src/daemon/jobs.js';
import { runDue, runJobDue } from '../../src/daemon/scheduler.js';
import { cronSpec, latestOccurrence, occurrencesBetween } from '../../src/daemon/occurrences.js';
import { startDaemon } from '../../src/daemon/server.js';
import { seedBasics } from '../helpers/seed.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';

const ctx = await testContext({ now: '2026-03-10T10:02:00+08:00' });
ctx.config.port = 0;

/** A second daemon's context on the same database: its own pool and its own clock. */
async function peer(now: string): Promise<TestContext> {
  const db = await openDb(ctx.url, { poolSize: 5 });
  afterAll(() => db.close());
  return { ...ctx, db, clock: new ManualClock(now) };
}

/** A job that counts its runs (and the occurrences it ran for), slow enough for two daemons to overlap. */
function probe(name: string, cron: string, opts: { catchUp?: 'latest' | 'each'; ms?: number; fail?: boolean } = {}) {
  const ran: string[] = [];
  const job: Job = {
    name, cron, catchUp: opts.catchUp,
    run: async (_ctx, at) => {
      ran.push(at.toISOString());
      await new Promise((r) => setTimeout(r, opts.ms ?? 50));
      if (opts.fail) throw new Error('probe failed on purpose');
      return { occurrence: at.toISOString(), n: ran.length };
    },
  };
  return { job, ran };
}

async function runsOf(job: string) {
  const { rows } = await ctx.db.pg.query(
    `select scheduled_at, reason, status, result, error, attempts, runner, finished_at is not null as finished
     from job_runs where job = $1 order by scheduled_at`, [job]);
  return rows.map((r) => ({ ...r, scheduled_at: (r.scheduled_at as Date).toISOString() }));
}

describe('occurrences in the business time zone', () => {
  it('finds the latest occurrence and the ones between two instants by the given clock, in Asia/Shanghai', () => {
    const spec = cronSpec('5 0 * * *', 'Asia/Shanghai');
    expect(latestOccurrence(spec, new Date('2026-03-10T00:04:59+08:00'))?.toISOString()).toBe('2026-03-08T16:05:00.000Z');
    expect(latestOccurrence(spec, new Date('2026-03-10T00:05:00+08:00'))?.toISOString()).toBe('2026-03-09T16:05:00.000Z');
    expect(occurrencesBetween(spec, new Date('2026-03-07T16:05:00Z'), new Date('2026-03-10T12:00:00+08:00'), 10).map((d) => d.toISOString()))
      .toEqual(['2026-03-08T16:05:00.000Z', '2026-03-09T16:05:00.000Z']);
    const every5 = cronSpec('*/5 * * * *', 'Asia/Shanghai');
    expect(latestOccurrence(every5, new Date('2026-03-10T10:04:59+08:00'))?.toISOString()).toBe('2026-03-10T02:00:00.000Z');
  });

  it('has a valid expression for every job, the daily ones after the configured cut-off plus the grace period', () => {
    for (const job of JOBS) expect(() => cronSpec(cronOf(job, ctx), ctx.calendar.timezone, job.name)).not.toThrow();
    const settlement = JOBS.find((j) => j.name === 'settlement');
    expect(settlement).toBeDefined();
    expect(cronOf(settlement!, ctx)).toBe('5 0 * * *');
    expect(cronOf(settlement!, { ...ctx, calendar: { ...ctx.calendar, cutoffMinutes: 23 * 60 + 30 }, config: { ...ctx.config, settleGraceMinutes: 45 } })).toBe('15 0 * * *');
    const late = { ...ctx, calendar: { ...ctx.calendar, cutoffMinutes: 3 * 60 }, config: { ...ctx.config, settleGraceMinutes: 5 } };
    expect(Object.fromEntries(JOBS.map((j) => [j.name, cronOf(j, late)]))).toEqual({
      'settlement': '5 3 * * *', 'card-expiry': '10 3 * * *', 'points-expiry': '20 3 * * *', 'dormancy': '30 4 * * *', 'breakage': '0 5 * * *', 'hold-expiry': '*/5 * * * *',
    });
    expect(settlement!.catchUp).toBe('each');
  });
});

describe('exactly one runner per occurrence', () => {
  it('runs a due job once when two schedulers on one database fire at the same instant, and records the run', async () => {
    const other = await peer('2026-03-10T10:02:00+08:00');
    const p = probe('probe-a', '*/5 * * * *', { ms: 200 });
    const [a, b] = await Promise.all([runDue(ctx, ctx.clock.now(), { jobs: [p.job] }), runDue(other, other.clock.now(), { jobs: [p.job] })]);
    expect(p.ran).toEqual(['2026-03-10T02:00:00.000Z']);
    const statuses = [...a, ...b].map((o) => o.status).sort();
    expect(statuses).toEqual(['locked', 'succeeded']);
    expect(await runsOf('probe-a')).toEqual([{
      scheduled_at: '2026-03-10T02:00:00.000Z', reason: 'scheduled', status: 'succeeded', attempts: 1, finished: true, error: null,
      result: { occurrence: '2026-03-10T02:00:00.000Z', n: 1 }, runner: expect.stringMatching(/:\d+$/),
    }]);
  });

  it('does not run an occurrence again when a second daemon fires a few ms after the first finished', async () => {
    const other = await peer('2026-03-10T10:02:00.004+08:00');
    const p = probe('probe-b', '*/5 * * * *');
    expect((await runJobDue(ctx, p.job, ctx.clock.now(), 'scheduled')).map((o) => o.status)).toEqual(['succeeded']);
    expect(await runJobDue(other, p.job, other.clock.now(), 'scheduled')).toEqual([]);
    expect(p.ran).toHaveLength(1);
    // The next occurrence is due 5 minutes later, whichever daemon fires first.
    other.clock.set('2026-03-10T10:05:00.002+08:00');
    ctx.clock.set('2026-03-10T10:05:00+08:00');
    expect((await runJobDue(other, p.job, other.clock.now(), 'scheduled')).map((o) => o.status)).toEqual(['succeeded']);
    expect(await runJobDue(ctx, p.job, ctx.clock.now(), 'scheduled')).toEqual([]);
    expect(p.ran).toEqual(['2026-03-10T02:00:00.000Z', '2026-03-10T02:05:00.000Z']);
    ctx.clock.set('2026-03-10T10:02:00+08:00');
  });

  it('with two daemons running their node-cron schedulers, a job due every second runs once per occurrence of the one clock', async () => {
    const other = await peer('2026-03-10T10:02:00+08:00');
    other.config = { ...ctx.config, port: 0 };
    const p = probe('probe-c', '* * * * * *', { ms: 300 });
    const d1 = await startDaemon(ctx, { scheduler: { jobs: [p.job], catchUp: false } });
    const d2 = await startDaemon(other, { scheduler: { jobs: [p.job], catchUp: false } });
    try {
      // Both fire every wall-clock second for ~2.5 s; the clock of both stands still at 10:02:00,
      // so one occurrence is due and it runs exactly once.
      await new Promise((r) => setTimeout(r, 2_500));
    } finally {
      await Promise.all([d1.close(2_000), d2.close(2_000)]);
    }
    expect(p.ran).toEqual(['2026-03-10T02:02:00.000Z']);
    expect((await runsOf('probe-c')).map((r) => [r.scheduled_at, r.status])).toEqual([['2026-03-10T02:02:00.000Z', 'succeeded']]);
  });

  it('records a failed run with its error', async () => {
    const p = probe('probe-d', '*/5 * * * *', { fail: true });
    const out = await runDue(ctx, ctx.clock.now(), { jobs: [p.job] });
    expect(out).toMatchObject([{ status: 'failed', error: 'probe failed on purpose' }]);
    expect(await runsOf('probe-d')).toMatchObject([{ status: 'failed', error: 'Error: probe failed on purpose', result: null, finished: true }]);
    // A scheduled tick does not repeat the recorded occurrence; a catch-up at start retries it.
    expect(await runJobDue(ctx, p.job, ctx.clock.now(), 'scheduled')).toEqual([]);
    expect((await runJobDue(ctx, p.job, ctx.clock.now(), 'catch-up')).map((o) => o.status)).toEqual(['failed']);
    expect((await runsOf('probe-d'))[0]).toMatchObject({ attempts: 2, reason: 'catch-up' });
  });
});

describe('a failed occurrence of a per-occurrence job', () => {
  it('is not repeated by a second daemon firing ms later, and is retried before the next occurrence at the next tick', async () => {
    const ran: string[] = [];
    let failing = true;
    const job: Job = {
      name: 'probe-i', cron: '5 0 * * *', catchUp: 'each',
      run: async (_ctx, at) => {
        ran.push(at.toISOString());
        if (failing) throw new Error('database hiccup');
        return { ok: true };
      },
    };
    const other = await peer('2026-03-11T00:05:00.003+08:00');
    expect((await runJobDue(ctx, job, new Date('2026-03-11T00:05:00+08:00'), 'scheduled')).map((o) => o.status)).toEqual(['failed']);
    expect((await runJobDue(other, job, other.clock.now(), 'scheduled')).map((o) => o.status)).toEqual(['already_run']);
    expect(ran).toEqual(['2026-03-10T16:05:00.000Z']);
    failing = false;
    const next = await runJobDue(ctx, job, new Date('2026-03-12T00:05:00+08:00'), 'scheduled');
    expect(next.map((o) => [o.scheduled_at, o.status])).toEqual([['2026-03-10T16:05:00.000Z', 'succeeded'], ['2026-03-11T16:05:00.000Z', 'succeeded']]);
    expect((await runsOf('probe-i')).map((r) => [r.status, r.attempts])).toEqual([['succeeded', 2], ['succeeded', 1]]);
  });
});

describe('catch-up at start', () => {
  it('runs nothing on a first start (no run recorded, nothing was missed)', async () => {
    const p = probe('probe-e', '0 * * * *');
    const d = await startDaemon(ctx, { scheduler: { jobs: [p.job] } });
    try {
      expect(await d.scheduler!.caughtUp).toEqual([]);
    } finally {
      await d.close(2_000);
    }
    expect(p.ran).toEqual([]);
  });

  it('runs a missed occurrence once at start: the latest one for a job that works as of now, each one in order for a per-occurrence job', async () => {
    const hourly = probe('probe-f', '0 * * * *');
    const daily = probe('probe-g', '5 0 * * *', { catchUp: 'each' });
    const at = new Date('2026-03-10T10:02:00+08:00');
    await runDue(ctx, at, { jobs: [hourly.job, daily.job] });
    expect(hourly.ran).toEqual(['2026-03-10T02:00:00.000Z']);
    expect(daily.ran).toEqual(['2026-03-09T16:05:00.000Z']);

    // All daemons are down for two and a half days; two start at once.
    ctx.clock.set('2026-03-12T18:30:00+08:00');
    const other = await peer('2026-03-12T18:30:00+08:00');
    other.config = { ...ctx.config, port: 0 };
    const d1 = await startDaemon(ctx, { scheduler: { jobs: [hourly.job, daily.job] } });
    const d2 = await startDaemon(other, { scheduler: { jobs: [hourly.job, daily.job] } });
    try {
      await Promise.all([d1.scheduler!.caughtUp, d2.scheduler!.caughtUp]);
    } finally {
      await Promise.all([d1.close(2_000), d2.close(2_000)]);
    }
    expect(hourly.ran).toEqual(['2026-03-10T02:00:00.000Z', '2026-03-12T10:00:00.000Z']);
    expect(daily.ran).toEqual(['2026-03-09T16:05:00.000Z', '2026-03-10T16:05:00.000Z', '2026-03-11T16:05:00.000Z']);
    expect((await runsOf('probe-g')).map((r) => [r.scheduled_at, r.reason, r.status])).toEqual([
      ['2026-03-09T16:05:00.000Z', 'scheduled', 'succeeded'],
      ['2026-03-10T16:05:00.000Z', 'catch-up', 'succeeded'],
      ['2026-03-11T16:05:00.000Z', 'catch-up', 'succeeded'],
    ]);
    // Nothing is due again until the next occurrence.
    expect(await runDue(ctx, ctx.clock.now(), { jobs: [hourly.job, daily.job], reason: 'catch-up' })).toEqual([]);
    ctx.clock.set('2026-03-10T10:02:00+08:00');
  });
});

describe('stopping during a catch-up', () => {
  it('finishes the occurrence in progress, leaves the rest for the next start, which runs them in order', async () => {
    const daily = probe('probe-h', '0 3 * * *', { catchUp: 'each', ms: 400 });
    await runDue(ctx, new Date('2026-03-10T10:02:00+08:00'), { jobs: [daily.job] });
    ctx.clock.set('2026-03-13T10:00:00+08:00');
    const d1 = await startDaemon(ctx, { scheduler: { jobs: [daily.job] } });
    while (daily.ran.length < 2) await new Promise((r) => setTimeout(r, 10));
    await d1.close(5_000);
    expect(daily.ran).toEqual(['2026-03-09T19:00:00.000Z', '2026-03-10T19:00:00.000Z']);
    const d2 = await startDaemon(ctx, { scheduler: { jobs: [daily.job] } });
    await d2.scheduler!.caughtUp;
    await d2.close(5_000);
    expect(daily.ran).toEqual(['2026-03-09T19:00:00.000Z', '2026-03-10T19:00:00.000Z', '2026-03-11T19:00:00.000Z', '2026-03-12T19:00:00.000Z']);
    expect((await runsOf('probe-h')).map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    ctx.clock.set('2026-03-10T10:02:00+08:00');
  });
});

describe('end-of-day settlement job', () => {
  it('settles the business date just ended at cut-off plus grace, and each missed date in order at start', async () => {
    const cwd = process.cwd();
    process.chdir(fs.mkdtempSync(path.join(os.tmpdir(), 'purse-sched-'))); // settlement files land in ./batches/settlement
    try {
      const seed = await seedBasics(ctx, 1);
      const load = async (amount: number) => withTransaction(ctx.db.pg, async (c) => {
        const d = await openBusinessDate(c, ctx.clock.now(), ctx.calendar);
        await postEntries(c, d, [balancedEntry('bulk_load', [
          { account: account.cardValue(seed.cardIds[0]!), asset: 'CNY', amount },
          { account: account.issuer(seed.issuerId), asset: 'CNY', amount: -amount },
        ], { occurredAt: ctx.clock.now() })]);
      });
      const settlement = JOBS.find((j) => j.name === 'settlement')!;
      await load(1_000); // business date 2026-03-10
      ctx.clock.set('2026-03-11T00:04:59+08:00');
      // One second before 00:05 the occurrence due is the previous day's: it settles 2026-03-09 (empty).
      expect(await runDue(ctx, ctx.clock.now(), { jobs: [settlement] }))
        .toMatchObject([{ scheduled_at: '2026-03-09T16:05:00.000Z', status: 'succeeded', result: { business_date: '2026-03-09' } }]);
      ctx.clock.set('2026-03-11T00:05:00+08:00');
      const [tick] = await runDue(ctx, ctx.clock.now(), { jobs: [settlement] });
      expect(tick).toMatchObject({ scheduled_at: '2026-03-10T16:05:00.000Z', status: 'succeeded', result: { business_date: '2026-03-10', posted: true, balanced: true } });
      ctx.clock.set('2026-03-11T12:00:00+08:00');
      await load(2_000); // 2026-03-11
      ctx.clock.set('2026-03-12T12:00:00+08:00');
      await load(3_000); // 2026-03-12; then every daemon is down until the 13th
      ctx.clock.set('2026-03-13T09:00:00+08:00');
      const caught = await runDue(ctx, ctx.clock.now(), { jobs: [settlement], reason: 'catch-up' });
      expect(caught.map((o) => [o.scheduled_at, o.status, o.result?.business_date])).toEqual([
        ['2026-03-11T16:05:00.000Z', 'succeeded', '2026-03-11'],
        ['2026-03-12T16:05:00.000Z', 'succeeded', '2026-03-12'],
      ]);
      const { rows } = await ctx.db.pg.query('select business_date::text as d from settlements order by 1');
      expect(rows.map((r) => r.d)).toEqual(['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12']);
    } finally {
      process.chdir(cwd);
      ctx.clock.set('2026-03-10T10:02:00+08:00');
    }
  });
});

/** Runs `purse serve --port 0 ...args` against the test database until `until` resolves, then SIGTERM; returns the exit code. */
async function serveWhile(args: string[], until: () => Promise<void>): Promise<number> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { env: { ...ctx.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.includes('purse daemon listening on')) resolve();
    });
    void exited.then(() => reject(new Error(`purse serve exited early: ${stderr}`)));
  });
  try {
    await until();
  } finally {
    child.kill('SIGTERM');
  }
  const code = await exited;
  if (code !== 0) console.error(stderr);
  return code;
}

describe('purse serve', () => {
  it('catches up a missed hold-expiry run at start, by the system clock; --no-scheduler runs nothing', async () => {
    // The last run recorded was an hour ago: every daemon has been down since. (No other job has
    // history, so nothing else is caught up.)
    await ctx.db.pg.query('delete from job_runs');
    await ctx.db.pg.query(`insert into job_runs (job, scheduled_at, reason, runner, status, finished_at)
      values ('hold-expiry', date_trunc('hour', now()) - interval '1 hour', 'scheduled', 'test', 'succeeded', now())`);
    const runs = async () => (await ctx.db.pg.query(`select reason, status from job_runs where job = 'hold-expiry' order by scheduled_at`)).rows;
    expect(await serveWhile(['--no-scheduler'], () => new Promise((r) => setTimeout(r, 1_500)))).toBe(0);
    expect(await runs()).toHaveLength(1);
    expect(await serveWhile([], async () => {
      for (let i = 0; i < 100 && (await runs()).length < 2; i++) await new Promise((r) => setTimeout(r, 200));
    })).toBe(0);
    expect(await runs()).toEqual([{ reason: 'scheduled', status: 'succeeded' }, { reason: 'catch-up', status: 'succeeded' }]);
  });
});
