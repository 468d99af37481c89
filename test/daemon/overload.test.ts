import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { storedCounts } from '../helpers/daemon-extra.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// One batch worker and room for one queued message: a batch held on a row lock fills the daemon.
const f = await daemonFixture({ cards: 2, batch: { concurrency: 1, maxQueue: 1 } });
const [c0, c1] = f.seed.cardIds as [number, number];
const [p0, p1] = f.seed.pans as [string, string];
const base = { merchant: 'M1', terminal: 'T1' };
await f.fund(c0, 1_000);
await f.fund(c1, 1_000);

/** Waits until a daemon backend waits on a row lock. */
async function untilBlocked(): Promise<void> {
  for (;;) {
    const { rows } = await f.ctx.db.pg.query(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`);
    if (rows[0].n > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('overload', () => {
  it('answers 503 overloaded with Retry-After beyond the queue limit, stores nothing for it, and serves again once drained', async () => {
    const lock = new pg.Client({ connectionString: f.ctx.url });
    await lock.connect();
    await lock.query('begin');
    await lock.query('select id from cards where id = $1 for update', [c0]);
    const first = f.send({ ...base, request_id: 'ov-1', type: 'purchase', card: p0, amount: 100 });
    await untilBlocked(); // ov-1's batch is running and stuck
    const second = f.send({ ...base, request_id: 'ov-2', type: 'purchase', card: p1, amount: 100 });
    for (;;) { // ov-2 is queued behind it
      const text = await (await fetch(`${f.daemon.url}/metrics`)).text();
      if (/^purse_queue_depth 1$/m.test(text)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const before = await storedCounts(f.ctx);
    const third = await f.send({ ...base, request_id: 'ov-3', type: 'purchase', card: p1, amount: 100 });
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(third.body).toEqual({ error: { code: 'overloaded', message: expect.any(String) } });
    expect(await storedCounts(f.ctx)).toEqual(before);
    await lock.query('commit');
    await lock.end();
    expect((await first).body).toMatchObject({ response_code: '00' });
    expect((await second).body).toMatchObject({ response_code: '00' });
    expect((await f.send({ ...base, request_id: 'ov-3', type: 'purchase', card: p1, amount: 100 })).body).toMatchObject({ response_code: '00' });
    expect((await f.balance(c1)).balance).toBe(800);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
