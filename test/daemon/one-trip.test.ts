import { describe, expect, it, vi } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { changeCardStatus } from '../../src/cards/lifecycle.js';
import { preauth } from '../../src/daemon/handlers/preauth.js';

// The one-round-trip batch (src/daemon/one-trip.ts) decides against the card states the daemon's
// last batches left; its check in the database must send the batch the two-round-trip way whenever
// another writer has changed a card since. One batch connection, so each message below is a batch.
const f = await daemonFixture({ cards: 5, batch: { concurrency: 1 } });
const [c0, c1, c2, c3, c4] = f.seed.cardIds as [number, number, number, number, number];
const [p0, p1, p2, p3, p4] = f.seed.pans as [string, string, string, string, string];
const base = { merchant: 'M1', terminal: 'T1', type: 'purchase' };

/** Batches run so far, by path (purse_batches_total of GET /metrics). */
async function paths(): Promise<Record<string, number>> {
  const text = await (await fetch(`${f.daemon.url}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^purse_batches_total\{path="(\w+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/** How many batches of each path `run` caused. */
async function pathsOf(run: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await paths();
  await run();
  const after = await paths();
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => v !== 0));
}

describe('one-round-trip batches', () => {
  it('a card a committed batch left is next decided in one round trip', async () => {
    await f.fund(c0, 1_000);
    expect(await pathsOf(() => f.send({ ...base, request_id: 'ot-1', card: p0, amount: 100 }))).toEqual({ fused: 1 });
    let second: Awaited<ReturnType<typeof f.send>> | undefined;
    expect(await pathsOf(async () => (second = await f.send({ ...base, request_id: 'ot-2', card: p0, amount: 300 })))).toEqual({ one_trip: 1 });
    expect(second!.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 300, balance: { ledger: 600, available: 600 } });
    expect(await f.balance(c0)).toEqual({ balance: 600, held: 0 });
    // Its row, written once and complete, names its entry, and the entry its row.
    const { rows } = await f.ctx.db.pg.query(`
      select t.id, t.status, t.amount_approved, t.business_date::text, t.response, e.kind, e.transaction_id
      from transactions t join entries e on e.id = t.entry_id where t.request_id = $1`, ['ot-2']);
    expect(rows).toEqual([{
      id: second!.body.transaction_id, status: 'approved', amount_approved: 300, business_date: expect.any(String), response: second!.body,
      kind: 'purchase', transaction_id: second!.body.transaction_id,
    }]);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('value loaded by another writer since is seen: the batch falls back and approves', async () => {
    await f.fund(c1, 1_000);
    await f.send({ ...base, request_id: 'up-1', card: p1, amount: 600 }); // remembered: 400
    await f.fund(c1, 500); // 900 in fact
    let res: Awaited<ReturnType<typeof f.send>> | undefined;
    expect(await pathsOf(async () => (res = await f.send({ ...base, request_id: 'up-2', card: p1, amount: 800 })))).toEqual({ fused: 1 });
    expect(res!.body).toMatchObject({ approved: true, amount_approved: 800, balance: { ledger: 100 } });
    expect(await f.balance(c1)).toEqual({ balance: 100, held: 0 });
  });

  it('value taken by another writer since is seen: never spent twice', async () => {
    await f.fund(c2, 1_000);
    await f.send({ ...base, request_id: 'down-1', card: p2, amount: 100 }); // remembered: 900
    await f.fund(c2, -800); // 100 in fact
    const res = await f.send({ ...base, request_id: 'down-2', card: p2, amount: 500 });
    expect(res.body).toMatchObject({ approved: false, response_code: '51' });
    expect(await f.balance(c2)).toEqual({ balance: 100, held: 0 });
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('a card frozen since is declined 62, and a repeat of a remembered card\'s request gets its stored answer', async () => {
    await f.fund(c3, 1_000);
    const first = await f.send({ ...base, request_id: 'fz-1', card: p3, amount: 100 });
    expect(first.body).toMatchObject({ approved: true });
    const repeat = await f.send({ ...base, request_id: 'fz-1', card: p3, amount: 100 });
    expect(repeat.body).toEqual(first.body);
    await changeCardStatus(f.ctx, { cardId: c3 }, 'freeze');
    const res = await f.send({ ...base, request_id: 'fz-2', card: p3, amount: 100 });
    expect(res.body).toMatchObject({ approved: false, response_code: '62' });
    expect(await f.balance(c3)).toEqual({ balance: 900, held: 0 });
  });

  it('a preauth on a remembered card goes straight to the two-round-trip path, decided once', async () => {
    await f.fund(c4, 1_000);
    await f.send({ ...base, request_id: 'ph-1', card: p4, amount: 100 }); // remembered: 900
    const decide = vi.spyOn(preauth, 'decide');
    try {
      let res: Awaited<ReturnType<typeof f.send>> | undefined;
      expect(await pathsOf(async () => (res = await f.send({ ...base, type: 'preauth', request_id: 'ph-2', card: p4, amount: 400 })))).toEqual({ fused: 1 });
      expect(res!.body).toMatchObject({ approved: true, response_code: '00', balance: { ledger: 900, available: 500 } });
      expect(decide).toHaveBeenCalledTimes(1);
    } finally {
      decide.mockRestore();
    }
    expect(await f.balance(c4)).toEqual({ balance: 900, held: 400 });
  });
});
