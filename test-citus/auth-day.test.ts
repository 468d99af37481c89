import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterContext, clusterDatabase } from './helpers/db.js';
import { daemonFixture, type DaemonFixture } from '../test/helpers/daemon.js';
import { seedPointsDaemon, type PointsDaemonSeed } from '../test/helpers/points.js';
import { settleBusinessDate } from '../src/settlement/settle.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { prng } from '../test/helpers/prng.js';


interface Day { answers: unknown[]; verify: unknown; fixture: DaemonFixture }
interface Settled { files: Record<string, string>; verify: unknown }

/**
 * A randomized authorization day through the daemon (one message at a time, so both servers see
 * the same order): purchases, loads, points earn and redeem, refunds, voids and reversals of earlier
 * purchases, reversals arriving before their original, on 6 combo cards funded by the issuer; then
 * verify. Settlement of the day is a step of its own (settle below).
 */
async function runDay(citus: boolean, seed: number): Promise<Day> {
  let pts!: PointsDaemonSeed;
  const f = await daemonFixture({
    cards: 1, channelMerchants: ['M1', 'COFFEE', 'SHOP'], ctx: await clusterContext(await clusterDatabase({ citus })),
    setup: async (ctx) => void (pts = await seedPointsDaemon(ctx, 6)),
  });
  for (const id of pts.cards) await f.fund(id, 50_000);
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const purchases: string[] = [];
  const answers: unknown[] = [];
  for (let n = 0; n < 120; n++) {
    const card = pick(pts.pans);
    const amount = 1 + Math.floor(rnd() * 9_000);
    const roll = rnd();
    const at = { merchant: roll < 0.5 ? 'COFFEE' : 'SHOP', terminal: 'T1' };
    const id = `d${n}`;
    let body: Record<string, unknown>;
    if (roll < 0.4 || purchases.length === 0) body = { ...at, request_id: id, type: 'purchase', card, amount };
    else if (roll < 0.5) body = { ...at, request_id: id, type: 'load', card, amount };
    else if (roll < 0.6) body = { ...at, request_id: id, type: 'points_earn', card, amount };
    else if (roll < 0.65) body = { ...at, request_id: id, type: 'points_redeem', card, amount: 1 + Math.floor(amount / 100) };
    else if (roll < 0.75) body = { ...at, request_id: id, type: 'refund', original_request_id: pick(purchases), amount: 1 + Math.floor(amount / 10) };
    else if (roll < 0.85) body = { ...at, request_id: id, type: 'void', original_request_id: pick(purchases) };
    else if (roll < 0.95) body = { ...at, request_id: id, type: 'reversal', original_request_id: pick(purchases) };
    else body = { ...at, request_id: id, type: 'reversal', original_request_id: `d${n + 1}` }; // before its original
    const r = await f.send(body);
    if (body.type === 'purchase') purchases.push(id);
    const { transaction_id: _id, ...rest } = r.body;
    answers.push({ status: r.status, ...rest });
  }
  return { answers, verify: await verifyLedger(f.ctx.db.pg), fixture: f };
}

/** Settles the day's business date into a directory; returns its files and verify after it. */
async function settle(f: DaemonFixture): Promise<Settled> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-citus-auth-'));
  f.ctx.clock.set('2026-03-11T01:00:00+08:00');
  await settleBusinessDate(f.ctx, { date: '2026-03-10', out });
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(out).sort()) files[name] = fs.readFileSync(path.join(out, name), 'utf8');
  fs.rmSync(out, { recursive: true, force: true });
  return { files, verify: await verifyLedger(f.ctx.db.pg) };
}

describe('the same randomized authorization day on a single server and on the cluster', () => {
  let single: Day;
  let cluster: Day;
  beforeAll(async () => {
    single = await runDay(false, 24_2026);
    cluster = await runDay(true, 24_2026);
  });

  it('answers every message the same, and verify is clean on both', () => {
    const codes = new Set(single.answers.map((a) => (a as { response_code?: string }).response_code));
    expect(codes.has('00')).toBe(true);
    expect(codes.has('94')).toBe(true); // a late original after its reversal
    expect(cluster.answers).toEqual(single.answers);
    expect(single.verify).toMatchObject({ ok: true });
    expect(cluster.verify).toEqual(single.verify);
  });

  it('writes byte-identical settlement files and summary, and verify is clean on both after settlement', async () => {
    const a = await settle(single.fixture);
    const b = await settle(cluster.fixture);
    expect(Object.keys(a.files)).toContain('summary-2026-03-10.json');
    expect(Object.keys(b.files)).toEqual(Object.keys(a.files));
    for (const name of Object.keys(a.files)) expect(b.files[name], name).toBe(a.files[name]);
    expect(a.verify).toMatchObject({ ok: true });
    expect(b.verify).toEqual(a.verify);
  });
});
