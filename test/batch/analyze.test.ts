// Plans that survive growth (issue 18): the bulk commands ANALYZE the tables they grew, so the
// planner (and the daemon's prepared statements) see the new size at once, not after autovacuum.
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { issuePans, loadCli, tempDir, writeLoadFile } from '../helpers/batch.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';

const ctx = await testContext();
const dir = tempDir();
await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622000', activateOnIssue: true });

/** Explicit (not autovacuum's) ANALYZE runs of each table, and the planner's row count for it. */
async function stats(tables: string[]): Promise<Record<string, { analyzes: number; reltuples: number; lastAnalyze: Date | null }>> {
  const { rows } = await ctx.db.pg.query<{ relname: string; analyze_count: string; reltuples: number; last_analyze: Date | null }>(`
    select s.relname, s.analyze_count, c.reltuples, s.last_analyze
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where s.relname = any($1::text[])`, [tables]);
  return Object.fromEntries(rows.map((r) => [r.relname, { analyzes: Number(r.analyze_count), reltuples: r.reltuples, lastAnalyze: r.last_analyze }]));
}

describe('bulk commands analyze the tables they grew', () => {
  let pans: string[] = [];

  it('purse cards issue of 2,000 cards analyzes cards and card_accounts: the planner counts 2,000 rows', async () => {
    const before = await stats(['cards', 'card_accounts']);
    pans = await issuePans(ctx, dir, 'SV', 2_000, 'BULK');
    const after = await stats(['cards', 'card_accounts']);
    for (const t of ['cards', 'card_accounts']) {
      expect(after[t]!.analyzes, t).toBe(before[t]!.analyzes + 1);
      expect(after[t]!.lastAnalyze, t).not.toBeNull();
      expect(after[t]!.reltuples, t).toBe(2_000);
    }
  });

  it('a small issue (under autovacuum\'s threshold of 50 + 10% of the table) does not analyze', async () => {
    const before = await stats(['cards', 'card_accounts']);
    await issuePans(ctx, dir, 'SV', 20, 'SMALL');
    const after = await stats(['cards', 'card_accounts']);
    expect(after.cards!.analyzes).toBe(before.cards!.analyzes);
    expect(after.card_accounts!.analyzes).toBe(before.card_accounts!.analyzes);
    expect(after.cards!.reltuples).toBe(2_000);
  });

  it('purse cards load of 1,500 rows analyzes the ledger tables, the references and the accounts it wrote', async () => {
    const tables = ['entries', 'postings', 'load_references', 'card_accounts'];
    const before = await stats(tables);
    const rows = pans.slice(0, 1_500).map((pan, i): [string, number, string] => [pan, 100, `A-${i}`]);
    const file = writeLoadFile(dir, 'bulk.csv', rows, [rows.length, 100 * rows.length]);
    const r = await loadCli(ctx, file, ['--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ applied: { count: 1_500, amount: 150_000 } });
    const after = await stats(tables);
    for (const t of tables) expect(after[t]!.analyzes, t).toBe(before[t]!.analyzes + 1);
    expect(after.load_references!.reltuples).toBe(1_500);
    expect(after.postings!.reltuples).toBe(3_000);
  });

  it('a dry run writes nothing and analyzes nothing', async () => {
    const tables = ['entries', 'postings', 'load_references', 'card_accounts'];
    const before = await stats(tables);
    const rows = pans.slice(0, 1_500).map((pan, i): [string, number, string] => [pan, 100, `D-${i}`]);
    const file = writeLoadFile(dir, 'dry.csv', rows);
    const r = await loadCli(ctx, file, ['--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const after = await stats(tables);
    for (const t of tables) expect(after[t]!.analyzes, t).toBe(before[t]!.analyzes);
  });
});
