import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterContext, clusterDatabase } from './helpers/db.js';
import { addIssuer } from '../src/registry/issuers.js';
import { addProgram } from '../src/registry/programs.js';
import { issueCards } from '../src/cards/issue.js';
import { loadCardsFile, type LoadSummary } from '../src/batch/loads.js';
import { settleBusinessDate } from '../src/settlement/settle.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { prng } from '../test/helpers/prng.js';


interface Day { files: Record<string, string>; verify: unknown; loads: unknown }

/**
 * One business day through the domain functions the CLI calls (cards issue, cards load, settle,
 * ledger verify), on the test clock: registry, 40 cards issued (an issuance fee), a load file of
 * seeded amounts with a reused reference (rejected), the same file again (nothing posted twice),
 * settlement of the day and verify. Returns the settlement files (summary included).
 */
async function runDay(url: string, seed: number): Promise<Day> {
  const ctx = await clusterContext(url, { now: '2026-03-10T10:00:00+08:00' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-citus-day-'));
  await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
  await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622000', activateOnIssue: true, issuanceFee: 25 });
  const issued = path.join(dir, 'cards.csv');
  await issueCards(ctx, { program: 'SV', count: 40, batch: 'B1', out: issued });
  const pans = fs.readFileSync(issued, 'utf8').trim().split('\n').slice(1, -1).map((l) => l.split(',')[0]!);
  const rnd = prng(seed);
  const rows = pans.map((pan, n) => `${pan},${1 + Math.floor(rnd() * 90_000)},R${n}`);
  rows.push(`${pans[3]},500,R1`); // the reference again with another card and amount: rejected
  const loadFile = path.join(dir, 'loads.csv');
  fs.writeFileSync(loadFile, `card,amount,reference\n${rows.join('\n')}\n`);
  const pick = (s: LoadSummary) => ({ applied: s.applied, already_applied: s.already_applied, rejected: s.rejected, total: s.total });
  const first = pick(await loadCardsFile(ctx, { file: loadFile }) as LoadSummary);
  const again = pick(await loadCardsFile(ctx, { file: loadFile }) as LoadSummary);
  ctx.clock.set('2026-03-11T01:00:00+08:00');
  const out = path.join(dir, 'settlement');
  await settleBusinessDate(ctx, { date: '2026-03-10', out });
  const verify = await verifyLedger(ctx.db.pg);
  const files: Record<string, string> = {};
  for (const f of fs.readdirSync(out).sort()) files[f] = fs.readFileSync(path.join(out, f), 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  return { files, verify, loads: [first, again] };
}

describe('the same day on a single server and on the cluster', () => {
  let single: Day;
  let cluster: Day;
  beforeAll(async () => {
    single = await runDay(await clusterDatabase({ citus: false }), 20261206);
    cluster = await runDay(await clusterDatabase({ citus: true }), 20261206);
  });

  it('issuance and loads apply the same rows, once', () => {
    expect(single.loads).toEqual([
      expect.objectContaining({ applied: expect.objectContaining({ count: 40 }), rejected: { count: 1 } }),
      expect.objectContaining({ applied: { count: 0, amount: 0 }, already_applied: expect.objectContaining({ count: 40 }), rejected: { count: 1 } }),
    ]);
    expect(cluster.loads).toEqual(single.loads);
  });

  it('writes byte-identical settlement files and summary', () => {
    expect(Object.keys(single.files)).toContain('summary-2026-03-10.json');
    expect(Object.keys(cluster.files)).toEqual(Object.keys(single.files));
    for (const f of Object.keys(single.files)) expect(cluster.files[f], f).toBe(single.files[f]);
  });

  it('ledger verify is clean on both', () => {
    expect(single.verify).toMatchObject({ ok: true, violations: [] });
    expect(cluster.verify).toEqual(single.verify);
  });
});
