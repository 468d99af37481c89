import { beforeAll, describe, expect, it } from 'vitest';
import { clusterContext, clusterDatabase } from './helpers/db.js';
import { daemonFixture, type DaemonFixture } from '../test/helpers/daemon.js';
import { verifyLedger } from '../src/ledger/verify.js';

const base = { merchant: 'M1', terminal: 'T1' };

/** The answers a fixture gives to the race scenarios of design §9's "must show", as comparable data. */
async function races(f: DaemonFixture): Promise<unknown> {
  const [c0, c1] = f.seed.cardIds as [number, number];
  const [p0, p1] = f.seed.pans as [string, string];
  await f.fund(c0, 7_777);
  const spend = await Promise.all(Array.from({ length: 50 }, (_, n) =>
    f.send({ ...base, request_id: `full-${n}`, type: 'purchase', card: p0, amount: 7_777 })));
  const codes = spend.map((a) => `${a.status}:${String(a.body.response_code)}`).sort();

  await f.fund(c1, 1_000);
  const early = await f.send({ ...base, request_id: 'rev-first', type: 'reversal', original_request_id: 'late-original' });
  const late = await f.send({ ...base, request_id: 'late-original', type: 'purchase', card: p1, amount: 300 });
  const again = await f.send({ ...base, request_id: 'rev-first', type: 'reversal', original_request_id: 'late-original' });
  const reuse = await f.send({ ...base, request_id: 'late-original', type: 'purchase', card: p1, amount: 301 });
  const strip = (a: { status: number; body: Record<string, unknown> }) => ({ status: a.status, code: a.body.response_code ?? a.body.error, approved: a.body.approved });
  return {
    codes: { approved: codes.filter((c) => c === '200:00').length, declined51: codes.filter((c) => c === '200:51').length, all: codes.length },
    balance0: await f.balance(c0),
    reversalFirst: [strip(early), strip(late), strip(again), reuse.status],
    balance1: await f.balance(c1),
    verify: (await verifyLedger(f.ctx.db.pg)).ok,
  };
}

describe('races on the cluster give the single server\'s answers', () => {
  let single: unknown;
  let cluster: unknown;
  beforeAll(async () => {
    single = await races(await daemonFixture({ cards: 2, ctx: await clusterContext(await clusterDatabase({ citus: false })) }));
    cluster = await races(await daemonFixture({ cards: 2, ctx: await clusterContext(await clusterDatabase({ citus: true })) }));
  });

  it('double spend with 50 racers: one approval, 49 declined 51, balance 0, ledger verified', () => {
    expect(single).toMatchObject({ codes: { approved: 1, declined51: 49, all: 50 }, balance0: { balance: 0, held: 0 }, verify: true });
    expect(cluster).toEqual(single);
  });

  it('reversal before its original: the original is declined 94, a repeat gets its stored answer, a reused key 409', () => {
    expect(single).toMatchObject({ reversalFirst: [{ status: 200 }, { status: 200, code: '94', approved: false }, { status: 200 }, 409], balance1: { balance: 1_000, held: 0 } });
    expect(cluster).toEqual(single);
  });
});
