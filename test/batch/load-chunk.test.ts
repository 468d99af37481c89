// The shape of a load's chunk (issue 18: a load beside the daemon should cost it little CPU): a
// fixed number of statements per chunk whatever its rows, a card's several rows decided in file
// order in SQL, a small file's cards looked up by index probes, and a reference check the database
// makes as cheaply as the one the CLI makes, accepting exactly the same references.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { issuePans, loadCli, readRejects, tempDir, writeLoadFile } from '../helpers/batch.js';
import { queriesDuring } from '../helpers/queries.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { loadCardsFile, type LoadSummary } from '../../src/batch/loads.js';
import { REFERENCE_FORMAT } from '../../src/batch/load-row.js';
import { panToken } from '../../src/cards/vault.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const dir = tempDir();
const issuer = await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622000', activateOnIssue: true, maxBalance: 100_000 });
const pans = await issuePans(ctx, dir, 'SV', 300, 'B1');
await ctx.db.pg.query('analyze cards');
const balance = async (pan: string) => (await ctx.db.pg.query<{ balance: number }>(
  'select a.balance from card_accounts a join cards c on c.id = a.card_id where c.pan_token = $1', [panToken(ctx.keys, pan)])).rows[0]!.balance;
const load = async (file: string, opts: { chunkRows?: number; dryRun?: boolean } = {}) => (await loadCardsFile(ctx, { file, ...opts })) as LoadSummary;

describe('a load chunk: statements per chunk, decisions in file order', () => {
  it('sends the same statements for every chunk whatever its rows: no statement per row, per turn or per work table', async () => {
    const rows = (prefix: string, n: number) => Array.from({ length: n }, (_, i): [string, number, string] => [pans[i]!, 1, `${prefix}-${i}`]);
    const small = writeLoadFile(dir, 'per-chunk-small.csv', rows('S', 30));
    const large = writeLoadFile(dir, 'per-chunk-large.csv', rows('L', 90));
    const transactions = (sent: string[]) => sent.flatMap((q, i) => (q === 'begin' ? [sent.slice(i, sent.indexOf('commit', i) + 1)] : []));
    const run = async (file: string, chunkRows: number) => {
      const sent = await queriesDuring(async () => void await load(file, { chunkRows }));
      return { sent, chunks: transactions(sent).filter((t) => t.some((q) => q.includes('open_business_date'))) };
    };
    // Begin, the business date, the decision, the ledger's check and entries, the references, the
    // lock, the balances, commit: nine statements per chunk, for 10 rows as for 30.
    const tens = await run(small, 10);
    const thirties = await run(large, 30);
    expect(tens.chunks.map((t) => t.length)).toEqual([9, 9, 9]);
    expect(thirties.chunks.map((t) => t.length)).toEqual([9, 9, 9]);
    expect(thirties.chunks[2]!.at(-1)).toBe('commit');
    expect([...tens.sent, ...thirties.sent].filter((q) => /^\s*truncate/i.test(q))).toEqual([]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('decides a card\'s rows in file order: one over the maximum is rejected and a later one that fits is still credited, also across chunks and in a dry run', async () => {
    const pan = pans[100]!;
    const rows: [string, number, string][] = [[pan, 60_000, 'G-1'], [pan, 50_000, 'G-2'], [pan, 40_000, 'G-3'], [pan, 1, 'G-4'], [pans[101]!, 7, 'G-5']];
    const expected = {
      applied: { count: 3, amount: 100_007 },
      rejects: [
        { line: 3, reference: 'G-2', reason: 'exceeds_max_balance', message: 'balance 60000 + 50000 would exceed the program maximum 100000' },
        { line: 5, reference: 'G-4', reason: 'exceeds_max_balance', message: 'balance 100000 + 1 would exceed the program maximum 100000' },
      ],
    };
    for (const [name, chunkRows] of [['one-chunk', 1000], ['chunks-of-two', 2]] as const) {
      const file = writeLoadFile(dir, `greedy-${name}.csv`, rows);
      const dry = await load(file, { chunkRows, dryRun: true });
      expect(dry.applied, name).toEqual(expected.applied);
      expect(readRejects(file), name).toMatchObject(expected.rejects);
      expect(await balance(pan), name).toBe(0);
    }
    const file = writeLoadFile(dir, 'greedy-real.csv', rows);
    const real = await load(file, { chunkRows: 2 });
    expect(real.applied).toEqual(expected.applied);
    expect(readRejects(file)).toMatchObject(expected.rejects);
    expect(await balance(pan)).toBe(100_000);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('probes the cards of a small file one by one and hashes them for a large one, with the same outcomes', async () => {
    const noHash = (sent: string[]) => sent.some((q) => q.includes('enable_hashjoin = off'));
    // 4 rows against 300 cards: probes. Line 4 repeats line 2's reference (first occurrence wins);
    // the re-run finds every row applied before.
    const small = writeLoadFile(dir, 'probe.csv', [[pans[200]!, 5, 'P-1'], [pans[201]!, 6, 'P-2'], [pans[201]!, 6, 'P-2'], [pans[202]!, 7, 'P-3']]);
    let summary: LoadSummary | undefined;
    expect(noHash(await queriesDuring(async () => { summary = await load(small); }))).toBe(true);
    expect(summary!.applied).toEqual({ count: 3, amount: 18 });
    expect(readRejects(small)).toMatchObject([{ line: 4, reason: 'duplicate_reference' }]);
    expect(noHash(await queriesDuring(async () => { summary = await load(small); }))).toBe(true);
    expect(summary!.already_applied).toEqual({ count: 3, amount: 18 });
    expect(summary!.applied.count).toBe(0);
    // 100 rows against 300 cards: one hash of the cards table.
    const large = writeLoadFile(dir, 'hash.csv', pans.slice(200, 300).map((pan, i): [string, number, string] => [pan, 1, `H-${i}`]));
    expect(noHash(await queriesDuring(async () => { summary = await load(large); }))).toBe(false);
    expect(summary!.applied).toEqual({ count: 100, amount: 100 });
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });
});

describe('purse cards load beside the daemon: its connections', () => {
  it('names them `purse cards load`, so pg_stat_activity (and the bench\'s CPU sampler) tells its backends from the daemon\'s', async () => {
    const pan = pans[150]!;
    const file = writeLoadFile(dir, 'named.csv', [[pan, 1, 'N-1']]);
    const other = new pg.Client({ connectionString: ctx.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query('select 1 from card_accounts a join cards c on c.id = a.card_id where c.pan_token = $1 for no key update of a', [panToken(ctx.keys, pan)]);
      const { rows: [me] } = await other.query<{ pid: number }>('select pg_backend_pid() as pid');
      const run = loadCli(ctx, file, ['--json']);
      let waiting: string[] = [];
      for (let i = 0; i < 500 && waiting.length === 0; i++) {
        const { rows } = await ctx.db.pg.query<{ application_name: string }>(
          'select application_name from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [me!.pid]);
        waiting = rows.map((r) => r.application_name);
        if (waiting.length === 0) await sleep(20);
      }
      await other.query('rollback');
      expect(waiting).toEqual(['purse cards load']);
      const r = await run;
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ applied: { count: 1, amount: 1 } });
    } finally {
      await other.end();
    }
  });
});

describe('load_references: the database checks a reference as the CLI does', () => {
  const cases = ['A', 'a'.repeat(64), 'a'.repeat(65), '', 'ref-1.2:3_x', '工资2026年3月006', '工'.repeat(64), '工'.repeat(65), 'has space', 'emoji😀', 'Ä', '豈'];

  it.each(cases)('%j: refused by load_references exactly when REFERENCE_FORMAT refuses it', async (reference) => {
    const client = await ctx.db.pg.connect();
    try {
      await client.query('begin');
      const inserted = await client.query(`
        insert into load_references (issuer_id, reference, card_id, amount, entry_id, file_name, line)
        values ($1, $2, 1, 1, 1, 'check.csv', 2)`, [issuer.id, reference]).then(() => true, (err: { code?: string; constraint?: string }) => {
        expect(err).toMatchObject({ code: '23514', constraint: 'load_references_reference_check' });
        return false;
      });
      expect(inserted).toBe(REFERENCE_FORMAT.test(reference));
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
