import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { fundCards, seedBasics } from '../helpers/seed.js';
import { expectNoCardNumbers, storedCounts } from '../helpers/daemon-extra.js';
import { createLogger } from '../../src/logger.js';
import { openDb } from '../../src/db/pool.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addChannel } from '../../src/registry/channels.js';
import { startDaemon } from '../../src/daemon/server.js';
import { errorAnswer } from '../../src/daemon/http-transactions.js';
import { signBody } from '../../src/daemon/signature.js';
import { PurseError } from '../../src/errors.js';
import { verifyLedger } from '../../src/ledger/verify.js';

/**
 * A TCP proxy in front of PostgreSQL that the test can take down: `down()` cuts every open
 * connection and refuses new ones (as a crashed or unreachable server would), `up()` restores it.
 */
async function pgProxy(target: URL) {
  let open = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    down() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    up() {
      open = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Registry and card on the test database directly; the daemon reaches it only through the proxy.
const logs: string[] = [];
const ctx = await testContext();
const seed = await seedBasics(ctx, 2);
await addMerchant(ctx, { code: 'M1', commissionBps: 150 });
await addTerminal(ctx, { merchant: 'M1', code: 'T1' });
const ch = await addChannel(ctx, { code: 'CH', merchants: ['M1'] });
await fundCards(ctx, seed, 10_000);
const proxy = await pgProxy(new URL(ctx.url));
const db = await openDb(proxy.url, { poolSize: 4 });
const daemon = await startDaemon({ ...ctx, db, logger: createLogger('debug', { write: (s: string) => void logs.push(s) }), config: { ...ctx.config, port: 0 } });
afterAll(async () => {
  await daemon.close(2000);
  await db.close();
  await proxy.close();
});

async function send(body: Record<string, unknown>) {
  const raw = JSON.stringify(body);
  const ts = String(Math.floor(ctx.clock.now().getTime() / 1000));
  const res = await fetch(`${daemon.url}/v1/transactions`, {
    method: 'POST', headers: { 'x-channel-id': 'CH', 'x-timestamp': ts, 'x-signature': signBody(ch.secret, ts, raw) }, body: raw,
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
}
const buy = (id: string, card = seed.pans[0]) => ({ request_id: id, type: 'purchase', card, amount: 100, merchant: 'M1', terminal: 'T1' });
const healthz = async () => (await fetch(`${daemon.url}/healthz`)).status;

describe('database outage', () => {
  it('serves while the database is reachable', async () => {
    expect((await send(buy('o-1'))).body).toMatchObject({ approved: true, response_code: '00' });
    expect(await healthz()).toBe(200);
  });

  it('answers 503 with Retry-After while the database is unreachable, and stores nothing', async () => {
    const before = await storedCounts(ctx);
    proxy.down();
    for (const [id, card] of [['o-2', seed.pans[0]], ['o-3', seed.pans[1]]] as const) {
      const r = await send(buy(id, card));
      expect(r.status).toBe(503);
      expect(r.retryAfter).toMatch(/^\d+$/);
      expect(r.body).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
    }
    expect(await healthz()).toBe(503);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/^purse_http_requests_total\{status="503"\} 2$/m);
    expect(await storedCounts(ctx)).toEqual(before);
  });

  it('recovers without a restart once the database is back: the first message after is processed', async () => {
    proxy.up();
    const r = await send(buy('o-2'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ request_id: 'o-2', approved: true, response_code: '00' });
    expect((await send(buy('o-3', seed.pans[1]))).body).toMatchObject({ approved: true, response_code: '00' });
    expect(await healthz()).toBe(200);
    const { rows } = await ctx.db.pg.query(`select request_id from transactions order by id`);
    expect(rows.map((x) => x.request_id)).toEqual(['o-1', 'o-2', 'o-3']);
  });

  it('survives a second outage while its batch connections sit idle', async () => {
    const lost = () => logs.filter((l) => l.includes('database connection lost') && l.includes('"parked":true')).length;
    const before = lost();
    proxy.down();
    while (lost() === before) await new Promise((resolve) => setTimeout(resolve, 10)); // the parked connection noticed
    proxy.up();
    expect((await send(buy('o-4'))).body).toMatchObject({ approved: true, response_code: '00' });
  });

  it('a database that refuses the daemon is a 503 for the channel, never a 400', () => {
    const refused = new PurseError('database_refused', 'the database refused the connection', { field: 'DATABASE_URL', exitCode: 1 });
    expect(errorAnswer(refused)).toMatchObject({ status: 503, headers: { 'retry-after': expect.any(String) } });
  });

  it('keeps the ledger verified and logs no card number', async () => {
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
    expectNoCardNumbers(logs);
  });
});
