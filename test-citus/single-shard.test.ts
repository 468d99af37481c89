import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterContext, clusterDatabase } from './helpers/db.js';
import { daemonFixture, type DaemonFixture } from '../test/helpers/daemon.js';
import { seedPointsDaemon, type PointsDaemonSeed } from '../test/helpers/points.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { prng } from '../test/helpers/prng.js';

async function onCoordinator(url: string, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * Two-phase commits the coordinator made in this database: pg_dist_transaction holds one row per
 * node a transaction PREPAREd on (gid citus_<group>_<pid>_<transaction number>_<connection>), so
 * one distinct (pid, number) per distributed transaction committed in two phases. Its rows stay
 * while the maintenance daemon's 2PC recovery is off (beforeAll below).
 */
async function twoPhaseCommits(f: DaemonFixture): Promise<number> {
  const { rows } = await f.ctx.db.pg.query<{ n: number }>(
    `select count(distinct split_part(gid, '_', 3) || ':' || split_part(gid, '_', 4))::int as n from pg_dist_transaction`);
  return rows[0]!.n;
}

describe('the daemon on the cluster: every card-writing transaction on one shard group, committed in one phase', () => {
  const base = inject('citusUrl');
  let f: DaemonFixture;
  let pts: PointsDaemonSeed;

  beforeAll(async () => {
    // Keep every 2PC record while this file runs (recovery deletes those of committed transactions).
    await onCoordinator(base, 'alter system set citus.recover_2pc_interval = -1');
    await onCoordinator(base, 'select pg_reload_conf()');
    f = await daemonFixture({
      cards: 1, channelMerchants: ['M1', 'COFFEE', 'SHOP'], ctx: await clusterContext(await clusterDatabase({ citus: true })),
      setup: async (ctx) => void (pts = await seedPointsDaemon(ctx, 8)),
    });
    for (const id of pts.cards) await f.fund(id, 50_000);
  });
  afterAll(async () => {
    await onCoordinator(base, 'alter system reset citus.recover_2pc_interval');
    await onCoordinator(base, 'select pg_reload_conf()');
  });

  it('the counter sees a two-phase commit: one statement writing the accounts of cards on several shards', async () => {
    const before = await twoPhaseCommits(f);
    await f.ctx.db.pg.query('update card_accounts set held = held where card_id = any($1::bigint[])', [pts.cards]);
    expect(await twoPhaseCommits(f)).toBeGreaterThan(before);
  });

  it('a seeded day of concurrent traffic adds no two-phase commit; verify is clean', async () => {
    const rnd = prng(24_300);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const purchases: string[] = [];
    const preauths: string[] = [];
    const late: Record<string, unknown>[] = [];
    const codes: string[] = [];
    const before = await twoPhaseCommits(f);
    const counts0 = f.daemon.core.metrics.batchCounts;
    let n = 0;
    for (let wave = 0; wave < 16; wave++) {
      // Eight messages at once on random cards: the daemon batches them together and splits each
      // batch by shard group. Messages naming an original name one answered in an earlier wave.
      const bodies: Record<string, unknown>[] = late.splice(0);
      while (bodies.length < 8) {
        const id = `s${n++}`;
        const card = pick(pts.pans);
        const amount = 1 + Math.floor(rnd() * 5_000);
        const at = { merchant: rnd() < 0.5 ? 'COFFEE' : 'SHOP', terminal: 'T1' };
        const roll = rnd();
        if (roll < 0.38 || purchases.length === 0) bodies.push({ ...at, request_id: id, type: 'purchase', card, amount });
        else if (roll < 0.46) bodies.push({ ...at, request_id: id, type: 'points_earn', card, amount });
        else if (roll < 0.52) bodies.push({ ...at, request_id: id, type: 'points_redeem', card, amount: 1 + Math.floor(amount / 200) });
        else if (roll < 0.58) bodies.push({ ...at, request_id: id, type: 'preauth', card, amount });
        else if (roll < 0.64 && preauths.length > 0) bodies.push({ ...at, request_id: id, type: 'capture', original_request_id: preauths.shift()!, amount: 1 });
        else if (roll < 0.74) bodies.push({ ...at, request_id: id, type: 'refund', original_request_id: pick(purchases), amount: 1 + Math.floor(amount / 10) });
        else if (roll < 0.82) bodies.push({ ...at, request_id: id, type: 'void', original_request_id: pick(purchases) });
        else if (roll < 0.9) bodies.push({ ...at, request_id: id, type: 'reversal', original_request_id: pick(purchases) });
        else {
          // A reversal before its original: the original comes in the next wave (declined 94).
          const original = `s${n++}`;
          bodies.push({ ...at, request_id: id, type: 'reversal', original_request_id: original });
          late.push({ ...at, request_id: original, type: 'purchase', card, amount });
        }
      }
      const answers = await Promise.all(bodies.map((b) => f.send(b)));
      answers.forEach((a, i) => {
        expect(a.status).toBe(200);
        const b = bodies[i]!;
        codes.push(`${String(b.type)} ${String(a.body.response_code)}`);
        if (a.body.response_code === '00' && b.type === 'purchase') purchases.push(String(b.request_id));
        if (a.body.response_code === '00' && b.type === 'preauth') preauths.push(String(b.request_id));
      });
    }
    // The day exercised what it names.
    for (const c of ['purchase 00', 'points_earn 00', 'points_redeem 00', 'preauth 00', 'capture 00', 'refund 00', 'void 00', 'reversal 00', 'purchase 94']) {
      expect(codes).toContain(c);
    }
    const counts = f.daemon.core.metrics.batchCounts;
    const transactions = counts.transactions - counts0.transactions;
    expect(transactions).toBeGreaterThan(counts.batches - counts0.batches); // batches were split by shard group
    expect(await twoPhaseCommits(f)).toBe(before);
    expect(await verifyLedger(f.ctx.db.pg)).toMatchObject({ ok: true });
  });
});
