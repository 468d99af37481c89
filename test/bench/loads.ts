// Bulk loads (design §7): `purse cards load` of a 1,000,000-row file against a raw COPY of the
// ledger rows those loads become — one entry, two postings and one load reference per row — into
// the same tables (same columns, indexes, constraints and the postings balance trigger), measured
// in this run on the same server. A COPY of the file's rows alone into a bare table is shown too.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { benchDatabase, report } from './harness.js';
import { benchScale, copyFile, fmt, timePurse, writeLines } from './batch-tools.js';
import { benchProgram } from './issuance.js';
import { generateKeyringJson } from '../../src/cards/keys.js';
import { childCpuSeconds, LOAD_CONNECTIONS, sampleBackendCpu } from './backend-cpu.js';

/** Cards per load row: each card gets 4 loads, spread so a 20,000-row chunk credits distinct cards. */
const ROWS_PER_CARD = 4;

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

/** Raw COPY of the entries, postings and references `n` load rows make; returns seconds. */
async function ledgerCopyBaseline(n: number, work: string): Promise<{ ledger: number; bare: number }> {
  const db = await benchDatabase('bench_load_copy');
  const c = await connect(db.url);
  try {
    await c.query(`insert into issuers (code, name) values ('BENCH-ISS', 'Bench issuer')`);
    const { rows: [iss] } = await c.query<{ id: number }>(`select id from issuers where code = 'BENCH-ISS'`);
    const issuer = Number(iss!.id);
    const date = '2026-11-30';
    const at = new Date().toISOString();
    const files = { entries: path.join(work, 'entries.tsv'), postings: path.join(work, 'postings.tsv'), refs: path.join(work, 'refs.tsv'), rows: path.join(work, 'rows.tsv') };
    const amount = (i: number) => 100 + (i % 900);
    const card = (i: number) => 1 + (i % Math.ceil(n / ROWS_PER_CARD));
    await writeLines(files.entries, n, (i) => `${i + 1}\tbulk_load\t${date}\t${at}\t{"reference": "L${i}"}\n`);
    await writeLines(files.postings, n, (i) =>
      `${i + 1}\tcard:${card(i)}:value\tCNY\t${amount(i)}\t${card(i)}\t${date}\tbulk_load\n${i + 1}\tissuer:${issuer}\tCNY\t${-amount(i)}\t\\N\t${date}\tbulk_load\n`);
    await writeLines(files.refs, n, (i) => `${issuer}\tL${i}\t${card(i)}\t${amount(i)}\t${i + 1}\tload.csv\t${i + 2}\n`);
    await writeLines(files.rows, n, (i) => `\\\\x${i.toString(16).padStart(64, '0')}\t${amount(i)}\tL${i}\n`);
    await c.query('checkpoint').catch(() => undefined);
    let started = performance.now();
    await c.query('begin');
    await copyFile(c, 'copy entries (id, kind, business_date, occurred_at, memo) from stdin', files.entries);
    await copyFile(c, 'copy postings (entry_id, account, asset, amount, card_id, business_date, entry_kind) from stdin', files.postings);
    await copyFile(c, 'copy load_references (issuer_id, reference, card_id, amount, entry_id, file_name, line) from stdin', files.refs);
    await c.query('commit');
    const ledger = (performance.now() - started) / 1000;
    await c.query('create table bare_rows (token bytea, amount bigint, reference text)');
    started = performance.now();
    await copyFile(c, 'copy bare_rows (token, amount, reference) from stdin', files.rows);
    const bare = (performance.now() - started) / 1000;
    for (const f of Object.values(files)) fs.rmSync(f);
    return { ledger, bare };
  } finally {
    await c.end();
  }
}

export async function run(): Promise<void> {
  const scale = benchScale();
  const n = Math.round(1_000_000 * scale);
  const cards = Math.ceil(n / ROWS_PER_CARD);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-bench-load-'));
  try {
    const copy = await ledgerCopyBaseline(n, work);

    const db = await benchDatabase('bench_load');
    const c = await connect(db.url);
    await benchProgram(c, 'BENCHL', '622100', { active: true, maxBalance: 100_000_000 });
    const env = { ...process.env, DATABASE_URL: db.url, PURSE_KEYS: generateKeyringJson(), LOG_LEVEL: 'warn' };
    const pers = path.join(work, 'cards.csv');
    await timePurse(['cards', 'issue', '--program', 'BENCHL', '--count', String(cards), '--batch', 'L1', '--out', pers], env);
    const pans = fs.readFileSync(pers, 'utf8').split('\n').slice(1, -2).map((l) => l.slice(0, l.indexOf(',')));
    fs.rmSync(pers);
    const file = path.join(work, 'load.csv');
    let total = 0;
    await writeLines(file, n + 2, (i) => {
      if (i === 0) return 'card,amount,reference\n';
      if (i === n + 1) return `TRAILER,${n},${total}\n`;
      const amount = 100 + ((i - 1) % 900);
      total += amount;
      return `${pans[(i - 1) % cards]},${amount},L${i - 1}\n`;
    });
    pans.length = 0;
    await c.query('checkpoint').catch(() => undefined);
    const backends = await sampleBackendCpu(db.url, LOAD_CONNECTIONS);
    let backendCpu: number | null;
    let load: Awaited<ReturnType<typeof timePurse>>;
    try {
      load = await timePurse(['cards', 'load', file, '--json'], env);
    } finally {
      backendCpu = await backends.stop();
    }
    const summary = JSON.parse(load.stdout) as { applied: { count: number; amount: number }; rejected: { count: number } };
    const { rows: [made] } = await c.query<{ refs: number; postings: number }>(
      `select (select count(*) from load_references)::int as refs, (select count(*) from postings where entry_kind = 'bulk_load')::int as postings`);
    await c.end();
    if (summary.applied.count !== n || summary.applied.amount !== total || made!.refs !== n || made!.postings !== 2 * n) {
      throw new Error(`load bench: expected ${n} rows applied (${total}); summary ${JSON.stringify(summary)}, ${made!.refs} references, ${made!.postings} postings`);
    }
    const copyRate = n / copy.ledger;
    const loadRate = n / load.seconds;
    const ratio = loadRate / copyRate;
    report(`bulk loads, ${fmt(n)} rows onto ${fmt(cards)} cards (BENCH_SCALE=${scale})`, {
      'raw COPY of the ledger rows (entries + 2 postings + reference per row)': `${copy.ledger.toFixed(1)} s, ${fmt(copyRate)} rows/s`,
      'raw COPY of the file rows into a bare table (for scale)': `${copy.bare.toFixed(1)} s, ${fmt(n / copy.bare)} rows/s`,
      'purse cards load (child process, file read, checked, applied)': `${load.seconds.toFixed(1)} s, ${fmt(loadRate)} rows/s`,
      'ratio to the ledger-row COPY (target >= 0.3)': `${ratio.toFixed(2)} ${ratio >= 0.3 ? 'OK' : 'MISSED'}`,
      'peak RSS of purse cards load (target < 300 MB)': `${load.maxRssMb} MB ${load.maxRssMb < 300 ? 'OK' : 'MISSED'}`,
      'CPU per row: purse process + its backends': `${((childCpuSeconds(load.stderr) * 1e6) / n).toFixed(1)} + ${backendCpu === null ? 'n/a' : ((backendCpu * 1e6) / n).toFixed(1)} µs`,
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
