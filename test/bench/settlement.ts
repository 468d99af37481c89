// Settlement benchmark (design §7): a business date of 1,000,000 transactions settled and its files
// written in ≤ 2× the time of a bare GROUP BY over the same postings, measured in the same run.
// BENCH_SCALE (default 1) scales the number of transactions for quick checks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { benchDatabase, peakRssMb, report } from './harness.js';
import { generateDay, generateRegistry, type DayShape } from './settlement-data.js';
import { openDb, pgTypes } from '../../src/db/pool.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { ManualClock } from '../../src/clock.js';
import { generateKeyringJson, parseKeyring } from '../../src/cards/keys.js';
import { settleBusinessDate } from '../../src/settlement/settle.js';
import { SETTLE_WORK_MEM } from '../../src/settlement/settle-aggregate.js';
import type { Context } from '../../src/context.js';

const DATE = '2026-03-10';

// The baseline: each account's position for the date, the least any settlement must compute.
const BASELINE_SQL = 'select account, asset, sum(amount) as amount from postings where business_date = $1 group by account, asset';

export async function run(): Promise<void> {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  if (!(scale > 0)) throw new Error('BENCH_SCALE must be a positive number');
  const shape: DayShape = { merchants: 1_000, channels: 4, cards: 100_000, transactions: Math.round(1_000_000 * scale) };
  const bench = await benchDatabase('purse_bench_settlement');
  const client = new pg.Client({ connectionString: bench.url, types: pgTypes });
  await client.connect();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-bench-settle-'));
  try {
    let t = performance.now();
    await generateRegistry(client, shape);
    await generateDay(client, DATE, shape);
    await client.query('vacuum analyze entries');
    await client.query('vacuum analyze postings');
    // The generated gigabyte on disk before anything is timed (as the issuance and loads benches
    // do): else the kernel writes it back during the measurements, and settlement, which commits,
    // waits behind that writeback where the read-only baseline does not.
    await client.query('checkpoint').catch(() => undefined);
    const generated = (performance.now() - t) / 1000;
    const { rows: [counts] } = await client.query<{ entries: number; postings: number }>(
      'select (select count(*) from entries) as entries, (select count(*) from postings) as postings');

    // Baseline twice: the first run warms the caches for both measurements. It gets the work_mem
    // settlement uses (and PostgreSQL's parallel query, which settlement's parts do without).
    await client.query(`set work_mem = '${SETTLE_WORK_MEM}'`);
    await client.query(BASELINE_SQL, [DATE]);
    t = performance.now();
    const { rowCount: groups } = await client.query(BASELINE_SQL, [DATE]);
    const baseline = (performance.now() - t) / 1000;

    const env = { ...process.env, DATABASE_URL: bench.url, LOG_LEVEL: 'warn' };
    const config = loadConfig(env);
    const db = await openDb(bench.url, { poolSize: 4 });
    const ctx: Context = {
      config, logger: createLogger('warn'), db, clock: new ManualClock('2026-03-11T00:10:00+08:00'),
      keys: parseKeyring(generateKeyringJson(), 'bench'), calendar: { timezone: config.timezone, cutoffMinutes: config.cutoffMinutes },
    };
    try {
      t = performance.now();
      const result = await settleBusinessDate(ctx, { date: DATE, out });
      const settle = (performance.now() - t) / 1000;
      t = performance.now();
      const rerun = await settleBusinessDate(ctx, { date: DATE, out });
      const rerunSeconds = (performance.now() - t) / 1000;
      const ratio = settle / baseline;
      report('settlement', {
        transactions: shape.transactions,
        entries: counts!.entries,
        postings: counts!.postings,
        'data generated (s)': generated.toFixed(1),
        'bare GROUP BY (s)': `${baseline.toFixed(3)} (${groups} account/asset groups)`,
        'settle + files (s)': settle.toFixed(3),
        ratio: `${ratio.toFixed(2)}× (target ≤ 2×) ${ratio <= 2 ? 'OK' : 'MISSED'}`,
        'settlement entries': result.entries.settlement,
        'files': result.files.map((f) => `${f.file} ${f.rows} rows`).join(', '),
        balanced: String(result.balanced),
        're-run (s, posts nothing)': `${rerunSeconds.toFixed(3)} posted=${rerun.posted}`,
        'peak RSS (MB)': peakRssMb(),
      });
    } finally {
      await db.close();
    }
  } finally {
    await client.end();
    fs.rmSync(out, { recursive: true, force: true });
    await bench.stop();
  }
}
