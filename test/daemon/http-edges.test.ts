import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { revokeOldSecret, rotateChannelSecret } from '../../src/registry/channels.js';
import { startDaemon } from '../../src/daemon/server.js';

// Issue 20 §5 and §9: HTTP edges. At most 4 connections per source, so the cap is reachable.
const f = await daemonFixture({ cards: 1, setup: async (ctx) => void (ctx.config.maxConnectionsPerSource = 4) });
const [p0] = f.seed.pans as [string];
const { hostname, port } = new URL(f.daemon.url);
const balance = (id: string) => ({ request_id: id, type: 'balance', card: p0, merchant: 'M1', terminal: 'T1' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a raw connection and writes `text`; resolves with everything received once the server closes it (or after `ms`). */
function raw(text: string, ms = 3000): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname, () => s.write(text));
    let data = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ data, closed });
    };
    const timer = setTimeout(() => done(false), ms);
    s.on('data', (d) => (data += d));
    s.on('close', () => done(true));
    s.on('error', () => undefined);
  });
}

describe('HTTP edges', () => {
  it('refuses a Content-Length above the limit before reading the body', async () => {
    const started = Date.now();
    const r = await raw(`POST /v1/transactions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10000000\r\n\r\n{"a":`);
    expect(r.data).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('a 404 never echoes the path (it can hold a card number)', async () => {
    const res = await fetch(`${f.daemon.url}/v1/cards/${p0}?pan=${p0}`);
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text).not.toContain(p0);
    expect(text).not.toContain('/v1/cards');
  });

  it('answers 405 with Allow for a known path and the wrong method, and HEAD where GET is', async () => {
    const get = await fetch(`${f.daemon.url}/v1/transactions`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const post = await fetch(`${f.daemon.url}/healthz`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const head = await fetch(`${f.daemon.url}${path}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    }
  });

  it('caps connections per source address', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => new Promise<net.Socket>((resolve) => {
      const s = net.connect(Number(port), hostname, () => resolve(s));
      s.on('error', () => undefined);
    })));
    await sleep(100);
    const extra = await raw('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n', 2000);
    expect(extra).toEqual({ data: '', closed: true });
    for (const s of held) s.destroy();
    await sleep(100);
    expect((await fetch(`${f.daemon.url}/healthz`)).status).toBe(200);
  });

  it('logs a client that goes away mid-request at debug, not as an error with a stack', async () => {
    const before = f.logs.length;
    await new Promise<void>((resolve) => {
      const s = net.connect(Number(port), hostname, () => {
        s.write('POST /v1/transactions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{"request_id":');
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 100);
      });
    });
    await sleep(300);
    const lines = f.logs.slice(before).map((l) => JSON.parse(l) as { level: number; msg: string; err?: unknown });
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines.some((l) => l.level === 20 && /went away/.test(l.msg))).toBe(true);
  });

  it('a rotated secret replaces the old one on the running daemon at once (no 5 s cache), when the overlap is 0', async () => {
    expect((await f.send(balance('rot-1'))).status).toBe(200); // the channel is now cached
    const rotated = await rotateChannelSecret(f.ctx, 'CH', 0);
    const deadline = Date.now() + 1000;
    let oldStatus = 200;
    while (oldStatus === 200 && Date.now() < deadline) {
      oldStatus = (await f.send(balance(`rot-old-${Date.now()}`))).status;
      if (oldStatus === 200) await sleep(20);
    }
    expect(oldStatus).toBe(401);
    expect((await f.send(balance('rot-new'), { secret: rotated.secret })).status).toBe(200);
    f.channel.secret = rotated.secret;
  });

  it('revoking the old secret during an overlap takes effect on the running daemon at once', async () => {
    const old = f.channel.secret;
    const rotated = await rotateChannelSecret(f.ctx, 'CH', 24);
    expect((await f.send(balance('rev-1'), { secret: old })).status).toBe(200); // overlap: still valid
    await revokeOldSecret(f.ctx, 'CH');
    const deadline = Date.now() + 1000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await f.send(balance(`rev-old-${Date.now()}`), { secret: old })).status;
      if (status === 200) await sleep(20);
    }
    expect(status).toBe(401);
    expect((await f.send(balance('rev-new'), { secret: rotated.secret })).status).toBe(200);
    f.channel.secret = rotated.secret;
  });

  it('/metrics is prom-client text: process and event-loop metrics, ours, purse_build_info, job last successes', async () => {
    await f.ctx.db.pg.query(`insert into job_runs (job, scheduled_at, reason, runner, status, finished_at) values ('card-expiry', '2026-03-10T00:00:00Z', 'scheduled', 't', 'succeeded', '2026-03-10T00:00:05Z')`);
    const text = await (await fetch(`${f.daemon.url}/metrics`)).text();
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(text).toMatch(/^purse_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+[^"]*"\} 1$/m);
    expect(text).toMatch(/^purse_job_last_success_timestamp_seconds\{job="card-expiry"\} 1773100805$/m);
    expect(text).toMatch(/^purse_transactions_total\{type="balance",response_code="00"\} \d+$/m);
  });

  it('/readyz answers 200 while accepting work and 503 once draining', async () => {
    const d = await startDaemon(f.ctx);
    const u = new URL(d.url);
    expect((await fetch(`${d.url}/readyz`)).status).toBe(200);
    // A request still arriving (its body incomplete) keeps the daemon draining; a /readyz sent
    // after it on the same connection is answered while the daemon drains.
    const busy = net.connect(Number(u.port), u.hostname);
    busy.on('error', () => undefined);
    let answers = '';
    busy.on('data', (x) => (answers += x));
    await new Promise<void>((resolve) => busy.on('connect', () => resolve()));
    busy.write('POST /v1/transactions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{');
    await sleep(50);
    const closing = d.close(3000);
    await sleep(50);
    busy.write('}GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n');
    for (let i = 0; i < 100 && !/draining/.test(answers); i++) await sleep(20);
    expect(answers).toMatch(/^HTTP\/1\.1 401 /);
    expect(answers).toMatch(/HTTP\/1\.1 503 [^]*"status":"draining"/);
    busy.destroy();
    await closing;
  });
});
