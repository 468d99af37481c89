import { beforeAll, describe, expect, it } from 'vitest';
import { clusterContext, clusterDatabase } from './helpers/db.js';
import { daemonFixture, type DaemonFixture } from '../test/helpers/daemon.js';
import { verifyLedger } from '../src/ledger/verify.js';

/**
 * The idempotency claim on the cluster (migration 000301): a daemon killed between a key's claim
 * and its card's transaction leaves a pending claim whose row does not exist. Simulated here by
 * writing that claim as the daemon would (an id reserved in the card's shard range).
 */
async function leaveClaim(f: DaemonFixture, requestId: string, cardId: number): Promise<number> {
  // The range first, then the id, then the claim: Citus 13.2 planned the three as one INSERT … SELECT
  // with the function's range arguments swapped for the insert's first columns (an empty range).
  const { rows: [range] } = await f.ctx.db.pg.query<{ lo: number; hi: number }>(
    `select shardminvalue::int as lo, shardmaxvalue::int as hi from pg_dist_shard
     where shardid = get_shard_id_for_distribution_column('cards', $1::bigint)`, [cardId]);
  const { rows: [id] } = await f.ctx.db.pg.query<{ id: string }>("select (purse_shard_ids('transactions', 1, $1, $2))[1] as id", [range!.lo, range!.hi]);
  await f.ctx.db.pg.query(
    `insert into request_claims (channel_id, request_id, transaction_id, body_hash, status) values ($1, $2, $3, '\\x00'::bytea, 'pending')`,
    [f.channel.id, requestId, id!.id]);
  return Number(id!.id);
}

/** The daemon's purse_batch_size_sum: messages answered by its batches so far. */
async function batchSizeSum(f: DaemonFixture): Promise<number> {
  const text = await (await fetch(`${f.daemon.url}/metrics`)).text();
  return Number(/^purse_batch_size_sum (\S+)$/m.exec(text)?.[1] ?? 0);
}

const claimOf = async (f: DaemonFixture, requestId: string) =>
  (await f.ctx.db.pg.query<{ status: string; transaction_id: number }>('select status, transaction_id from request_claims where request_id = $1', [requestId])).rows;

describe('a claim left pending on the cluster (its daemon died before the card\'s transaction)', () => {
  let f: DaemonFixture;
  const purchase = { merchant: 'M1', terminal: 'T1', request_id: 'stuck-1', type: 'purchase', amount: 700 };
  let reserved: number;

  beforeAll(async () => {
    f = await daemonFixture({ cards: 1, ctx: await clusterContext(await clusterDatabase({ citus: true })) });
    await f.fund(f.seed.cardIds[0]!, 5_000);
    reserved = await leaveClaim(f, 'stuck-1', f.seed.cardIds[0]!);
  });

  it('while it is fresh, the retry is answered 503 and nothing moves', async () => {
    const before = await batchSizeSum(f);
    const r = await f.send({ ...purchase, card: f.seed.pans[0] });
    expect(r.status).toBe(503);
    // Not counted as a message of a batch: purse_batch_size counts answered messages only.
    expect(await batchSizeSum(f)).toBe(before);
    expect(await f.balance(f.seed.cardIds[0]!)).toEqual({ balance: 5_000, held: 0 });
    expect(await claimOf(f, 'stuck-1')).toEqual([{ status: 'pending', transaction_id: reserved }]);
  });

  it('once stale, the retry takes it over: answered once under the reserved id, posted once, verify clean', async () => {
    await f.ctx.db.pg.query(`update request_claims set claimed_at = now() - interval '1 minute' where request_id = 'stuck-1'`);
    const first = await f.send({ ...purchase, card: f.seed.pans[0] });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ response_code: '00', transaction_id: reserved, amount_approved: 700 });
    const again = await f.send({ ...purchase, card: f.seed.pans[0] });
    expect(again.body).toEqual(first.body);
    expect(await f.balance(f.seed.cardIds[0]!)).toEqual({ balance: 4_300, held: 0 });
    expect(await claimOf(f, 'stuck-1')).toEqual([{ status: 'done', transaction_id: reserved }]);
    const rows = await f.ctx.db.pg.query('select id from transactions where request_id = $1', ['stuck-1']);
    expect(rows.rows.map((r: { id: string }) => Number(r.id))).toEqual([reserved]);
    expect(await verifyLedger(f.ctx.db.pg)).toMatchObject({ ok: true });
  });

  it('exactly once: the first owner, should it still commit, cannot insert a second row under the reserved id', async () => {
    // The same row again, as a second card's transaction would insert it: its primary key (request_id, id) refuses it.
    await expect(f.ctx.db.pg.query('insert into transactions select * from transactions where id = $1', [reserved]))
      .rejects.toMatchObject({ code: '23505' });
  });

  it('a reused key with another body is still 409, found through its claim', async () => {
    const r = await f.send({ ...purchase, amount: 701, card: f.seed.pans[0] });
    expect(r.status).toBe(409);
    expect(await f.balance(f.seed.cardIds[0]!)).toEqual({ balance: 4_300, held: 0 });
  });
});
