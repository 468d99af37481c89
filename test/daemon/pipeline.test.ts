import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { queriesDuring } from '../helpers/queries.js';
import { tempDir, writeLoadFile } from '../helpers/batch.js';
import { startDaemon } from '../../src/daemon/server.js';
import { signBody } from '../../src/daemon/signature.js';
import { loadCardsFile, type LoadSummary } from '../../src/batch/loads.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// Design §2: one pipeline for every batch, whatever wrote the cards last. A bulk load and a
// second daemon change a card between two purchases on the first daemon: the first daemon's next
// decision sees both, and no batch is rolled back and run again to find out.
const f = await daemonFixture({ cards: 2 });
const [c0, c1] = f.seed.cardIds as [number, number];
const [p0, p1] = f.seed.pans as [string, string];
const base = { merchant: 'M1', terminal: 'T1' };
const dir = tempDir('purse-pipeline-');

const second = await startDaemon(f.ctx);

/** Posts a signed message to the second daemon (same channel, same database). */
async function sendSecond(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const raw = JSON.stringify(body);
  const ts = String(Math.floor(f.ctx.clock.now().getTime() / 1000));
  const res = await fetch(`${second.url}/v1/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-channel-id': 'CH', 'x-timestamp': ts, 'x-signature': signBody(f.channel.secret, ts, raw) },
    body: raw,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('the one pipeline against other writers', () => {
  it('a bulk load and a second daemon change a card between two purchases: the first daemon sees both, with no retry or rollback', async () => {
    await f.fund(c0, 10_000);
    const first = await f.send({ ...base, request_id: 'pl-1', type: 'purchase', card: p0, amount: 1_000 });
    expect(first.body).toMatchObject({ response_code: '00', balance: { available: 9_000 } });

    const file = writeLoadFile(dir, 'load.csv', [[p0, 5_000, 'pl-ref-1']]);
    const summary = await loadCardsFile(f.ctx, { file }) as LoadSummary;
    expect(summary.applied).toEqual({ count: 1, amount: 5_000 });

    const other = await sendSecond({ ...base, request_id: 'pl-2', type: 'purchase', card: p0, amount: 2_000 });
    expect(other).toMatchObject({ response_code: '00', balance: { available: 12_000 } });

    // Exactly what is left: approved only if the load and the other daemon's purchase are both seen.
    const all = await f.send({ ...base, request_id: 'pl-3', type: 'purchase', card: p0, amount: 12_000 });
    expect(all.body).toMatchObject({ response_code: '00', amount_approved: 12_000, balance: { available: 0 } });
    const none = await f.send({ ...base, request_id: 'pl-4', type: 'purchase', card: p0, amount: 1 });
    expect(none.body).toMatchObject({ response_code: '51' });
    expect(await f.balance(c0)).toEqual({ balance: 0, held: 0 });

    // The second daemon answers a repeat of a key the first one wrote with the stored answer.
    expect(await sendSecond({ ...base, request_id: 'pl-3', type: 'purchase', card: p0, amount: 12_000 })).toEqual(all.body);

    for (const core of [f.daemon.core, second.core]) {
      const counts = core.metrics.batchCounts;
      expect(counts.batches).toBeGreaterThan(0);
      expect(counts).toMatchObject({ retries: 0, splits: 0 });
    }
    const metrics = await (await fetch(`${f.daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/^purse_batch_retries_total 0$/m);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
    await second.close(2000);
  });

  it('a batch costs two round trips: BEGIN with the prefetch, then the writes with COMMIT', async () => {
    await f.fund(c1, 10_000);
    await f.send({ ...base, request_id: 'rt-0', type: 'purchase', card: p1, amount: 100 }); // connections have prepared their statements
    const sent = await queriesDuring(async () => {
      for (const n of [1, 2, 3]) {
        expect((await f.send({ ...base, request_id: `rt-${n}`, type: 'purchase', card: p1, amount: 100 })).body).toMatchObject({ response_code: '00' });
      }
      expect((await f.send({ ...base, request_id: 'rt-4', type: 'void', original_request_id: 'rt-3' })).body).toMatchObject({ response_code: '00' });
    });
    const batch = sent.filter((t) => /purse_batch_|^begin|commit/.test(t));
    expect(batch).toHaveLength(8);
    batch.forEach((t, n) => {
      if (n % 2 === 0) expect(t).toMatch(/^begin;[\s\S]*execute "purse_batch_prefetch"/);
      else expect(t).toMatch(/;\ncommit$/);
    });
  });
});
