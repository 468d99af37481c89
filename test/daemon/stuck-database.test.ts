import { afterAll, describe, expect, inject, it } from 'vitest';
import { ownServer, signalAll } from '../helpers/own-server.js';
import { seedBasics, fundCards } from '../helpers/seed.js';
import { createLogger } from '../../src/logger.js';
import { openDb } from '../../src/db/pool.js';
import { migrate } from '../../src/db/migrate.js';
import { loadConfig } from '../../src/config.js';
import { parseKeyring } from '../../src/cards/keys.js';
import { ManualClock } from '../../src/clock.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addChannel } from '../../src/registry/channels.js';
import { startDaemon } from '../../src/daemon/server.js';
import { signBody } from '../../src/daemon/signature.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import type { Context } from '../../src/context.js';

// Issue 20 §2: PostgreSQL paused (SIGSTOP). The server is this file's own: pausing the shared one
// would stall every other test file.
const own = await ownServer();
await migrate(own.server.url);
const keysJson = inject('keysJson');
const config = { ...loadConfig({ DATABASE_URL: own.server.url, PURSE_AUTH_DEADLINE_MS: '1000' }), port: 0 };
const db = await openDb(own.server.url, { poolSize: 6, keepIdle: true, statementTimeoutMs: config.statementTimeoutMs });
const ctx: Context = {
  config, db, logger: createLogger('silent'), clock: new ManualClock('2026-03-10T10:00:00+08:00'),
  keys: parseKeyring(keysJson, 'test keys'), calendar: { timezone: config.timezone, cutoffMinutes: config.cutoffMinutes },
};
const seed = await seedBasics(ctx, 1);
await fundCards(ctx, seed, 10_000);
await addMerchant(ctx, { code: 'M1', commissionBps: 0 });
await addTerminal(ctx, { merchant: 'M1', code: 'T1' });
const ch = await addChannel(ctx, { code: 'CH', merchants: ['M1'] });
const daemon = await startDaemon(ctx);
afterAll(async () => {
  signalAll(own.pids(), 'SIGCONT');
  await daemon.close(2000);
  await db.close();
});

async function send(body: Record<string, unknown>) {
  const raw = JSON.stringify(body);
  const ts = String(Math.floor(ctx.clock.now().getTime() / 1000));
  const res = await fetch(`${daemon.url}/v1/transactions`, {
    method: 'POST', headers: { 'x-channel-id': 'CH', 'x-timestamp': ts, 'x-signature': signBody(ch.secret, ts, raw) }, body: raw,
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
}
const buy = (id: string) => ({ request_id: id, type: 'purchase', card: seed.pans[0], amount: 100, merchant: 'M1', terminal: 'T1' });
const timed = async <T>(f: () => Promise<T>) => {
  const t = Date.now();
  const value = await f();
  return { value, ms: Date.now() - t };
};

describe('a paused database (SIGSTOP)', () => {
  it('serves normally first', async () => {
    expect((await send(buy('s-1'))).body).toMatchObject({ approved: true, response_code: '00' });
  });

  it('answers a purchase 503 + Retry-After at the deadline, and /healthz within 1 s', async () => {
    signalAll(own.pids(), 'SIGSTOP');
    try {
      const r = await timed(() => send(buy('s-2')));
      expect(r.value.status).toBe(503);
      expect(r.value.retryAfter).toMatch(/^\d+$/);
      expect(r.value.body).toEqual({ error: { code: 'deadline', message: expect.any(String) } });
      expect(r.ms).toBeGreaterThanOrEqual(900);
      expect(r.ms).toBeLessThan(3000);
      for (let i = 0; i < 3; i++) {
        const h = await timed(() => fetch(`${daemon.url}/healthz`));
        expect(h.value.status).toBe(503);
        expect(h.ms).toBeLessThan(1000);
      }
    } finally {
      signalAll(own.pids(), 'SIGCONT');
    }
  });

  it('after the server resumes, the retry under the same request_id takes effect once', async () => {
    let r = await send(buy('s-2'));
    for (let i = 0; i < 50 && r.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      r = await send(buy('s-2'));
    }
    expect(r.body).toMatchObject({ request_id: 's-2', approved: true, response_code: '00' });
    const { rows } = await db.pg.query(`select request_id from transactions order by id`);
    expect(rows.map((x) => x.request_id)).toEqual(['s-1', 's-2']);
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
    expect((await verifyLedger(db.pg)).ok).toBe(true);
  });

  it('the daemon pool carries a statement timeout', async () => {
    const c = await db.pg.connect();
    try {
      const { rows } = await c.query(`select current_setting('statement_timeout') as t`);
      expect(rows[0].t).toBe('1min');
    } finally {
      c.release();
    }
  });
});
