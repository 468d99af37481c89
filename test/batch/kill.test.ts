import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { BIN, runCli } from '../helpers/cli.js';
import { issuePans, loadCli, loadState, readRejects, tempDir, writeLoadFile } from '../helpers/batch.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const dir = tempDir();
await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622000', activateOnIssue: true });
const pans = await issuePans(ctx, dir, 'SV', 1500, 'B1');

/**
 * A load file of `pans.length + 300` rows: one credit per card, a second credit for 200 cards
 * (applied in a later turn of the same chunk or a later chunk) and 100 invalid rows.
 */
function buildFile(name: string, prefix: string) {
  const rows: [string, number, string][] = [];
  const expected = new Map<string, number>();
  const credit = (pan: string, amount: number, ref: string) => {
    rows.push([pan, amount, ref]);
    expected.set(pan, (expected.get(pan) ?? 0) + amount);
  };
  pans.forEach((pan, i) => {
    credit(pan, 100 + i, `${prefix}-${i}`);
    if (i % 7 === 0 && i < 1400) credit(pan, 7, `${prefix}-x${i}`);
    if (i % 15 === 0) rows.push([pan, 0, `${prefix}-bad${i}`]);
  });
  const total = rows.reduce((s, r) => s + r[1], 0);
  const valid = rows.filter((r) => r[1] > 0);
  return { file: writeLoadFile(dir, name, rows, [rows.length, total]), expected, valid: valid.length, invalid: rows.length - valid.length };
}

/** Every card's balance and the bulk_load postings per card, keyed by card id. */
async function balancesByPan() {
  const { rows } = await ctx.db.pg.query<{ card_id: number; balance: number; posted: number; entries: number }>(`
    select a.card_id, a.balance, coalesce(sum(p.amount), 0)::bigint as posted, count(p.*)::int as entries
    from card_accounts a left join postings p on p.card_id = a.card_id and p.entry_kind = 'bulk_load'
    group by a.card_id, a.balance order by a.card_id`);
  return rows;
}

/** Starts `purse cards load` in a child and SIGKILLs it once `atLeast` references are committed. */
async function killAfter(file: string, atLeast: number): Promise<number> {
  const child = spawn(process.execPath, [BIN, 'cards', 'load', file, '--chunk-rows', '10'], { env: ctx.env, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let done = false;
  void exited.then(() => (done = true));
  while (!done && (await loadState(ctx)).references < atLeast) await sleep(20);
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  await serverDone();
  return (await loadState(ctx)).references;
}

/**
 * Waits until the killed load's backends have ended. A COMMIT the child sent before it died still
 * completes on the server, so counting before its backend is gone can miss the last chunk.
 */
async function serverDone(): Promise<void> {
  for (;;) {
    const { rows: [r] } = await ctx.db.pg.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'purse cards load'`);
    if (r!.n === 0) return;
    await sleep(20);
  }
}

describe('purse cards load: exactly once across kills', () => {
  it('applies exactly the valid rows, each once, when killed halfway (twice) and run again', async () => {
    const { file, expected, valid, invalid } = buildFile('kill.csv', 'K');
    const first = await killAfter(file, 100);
    expect(first).toBeGreaterThanOrEqual(100);
    expect(first).toBeLessThan(valid);
    // Committed chunks are whole: every reference has its entry and nothing else was posted.
    expect(await loadState(ctx)).toMatchObject({ references: first, entries: first });
    const second = await killAfter(file, first + 200);
    expect(second).toBeLessThan(valid);

    const r = await loadCli(ctx, file, ['--chunk-rows', '10', '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ applied: { count: valid - second }, already_applied: { count: second }, rejected: { count: invalid } });
    expect(readRejects(file).every((x) => x.reason === 'invalid_amount')).toBe(true);

    const state = await loadState(ctx);
    expect(state.references).toBe(valid);
    expect(state.entries).toBe(valid);
    expect(state.credited).toBe([...expected.values()].reduce((s, v) => s + v, 0));
    const cards = await balancesByPan();
    expect(cards).toHaveLength(pans.length);
    // Each card holds exactly its rows' sum: nothing lost, nothing doubled.
    const wanted = pans.map((pan) => expected.get(pan)!).sort((x, y) => x - y);
    expect(cards.map((c) => c.balance).sort((x, y) => x - y)).toEqual(wanted);
    expect(cards.every((c) => c.balance === c.posted)).toBe(true);

    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
    const verify = await runCli(['ledger', 'verify'], ctx.env);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/ledger OK/);
  });

  it('applies each row once when two runs of the same file race', async () => {
    const before = await loadState(ctx);
    const { file, valid } = buildFile('race.csv', 'Q');
    const [x, y] = await Promise.all([
      loadCli(ctx, file, ['--chunk-rows', '50', '--json']),
      loadCli(ctx, file, ['--chunk-rows', '50', '--json']),
    ]);
    expect([x.code, y.code], x.stderr + y.stderr).toEqual([0, 0]);
    const [sx, sy] = [JSON.parse(x.stdout), JSON.parse(y.stdout)];
    expect(sx.applied.count + sy.applied.count).toBe(valid);
    expect(sx.applied.count + sx.already_applied.count).toBe(valid);
    expect(sy.applied.count + sy.already_applied.count).toBe(valid);
    expect((await loadState(ctx)).references).toBe(before.references + valid);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });
});
