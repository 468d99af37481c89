import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { churnGarbage, expectNoCardNumbers } from '../helpers/daemon-extra.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const f = await daemonFixture({ cards: 1 });
const [c0] = f.seed.cardIds as [number];
const [p0] = f.seed.pans as [string];
const base = { merchant: 'M1', terminal: 'T1' };
await f.fund(c0, 1_000);

/** Parses Prometheus text into `name{labels}` → value, after checking every line is a comment or a sample. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-z0-9_]+(?:\{[^}]*\})?) (-?[0-9.e+-]+|\+Inf|NaN)$/.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    out.set(m![1]!, Number(m![2]));
  }
  return out;
}

describe('GET /healthz', () => {
  it('answers 200 while the database is reachable', async () => {
    const res = await fetch(`${f.daemon.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

describe('GET /metrics', () => {
  it('counts requests by type and response code, HTTP answers by status, latency and pool use in Prometheus text', async () => {
    await f.send({ ...base, request_id: 'm-1', type: 'purchase', card: p0, amount: 100 });
    await f.send({ ...base, request_id: 'm-2', type: 'purchase', card: p0, amount: 100 });
    await f.send({ ...base, request_id: 'm-3', type: 'purchase', card: p0, amount: 5_000 });
    await f.send({ ...base, request_id: 'm-4', type: 'balance', card: p0 });
    await f.send({ ...base, request_id: 'm-5', type: 'balance' }); // 400
    await f.send({ ...base, request_id: 'm-6', type: 'balance', card: p0 }, { secret: 'wrong' }); // 401
    // Short-lived garbage in the daemon's process (the fixture runs it in this one): minor collections.
    expect(await churnGarbage()).toBeGreaterThan(0);

    const res = await fetch(`${f.daemon.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const s = samples(text);
    expect(s.get('purse_transactions_total{type="purchase",response_code="00"}')).toBe(2);
    expect(s.get('purse_transactions_total{type="purchase",response_code="51"}')).toBe(1);
    expect(s.get('purse_transactions_total{type="balance",response_code="00"}')).toBe(1);
    expect(s.get('purse_http_requests_total{status="200"}')).toBe(4);
    expect(s.get('purse_http_requests_total{status="400"}')).toBe(1);
    expect(s.get('purse_http_requests_total{status="401"}')).toBe(1);
    expect(text).toMatch(/^# TYPE purse_request_duration_seconds histogram$/m);
    expect(s.get('purse_request_duration_seconds_count')).toBe(6);
    expect(s.get('purse_request_duration_seconds_bucket{le="+Inf"}')).toBe(6);
    const buckets = [...s].filter(([k]) => k.startsWith('purse_request_duration_seconds_bucket')).map(([, v]) => v);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b)); // cumulative
    expect(s.get('purse_request_duration_seconds_sum')).toBeGreaterThan(0);
    for (const state of ['total', 'idle', 'waiting']) expect(s.get(`purse_db_pool_connections{state="${state}"}`)).toBeGreaterThanOrEqual(0);
    expect(s.get('purse_db_pool_connections{state="total"}')).toBeGreaterThan(0);
    expect(s.has('purse_queue_depth')).toBe(true);
    // The daemon's own share of latency: garbage collector pauses and event-loop delay.
    expect(text).toMatch(/^# TYPE purse_gc_pause_seconds_total counter$/m);
    expect(text).toMatch(/^# TYPE purse_event_loop_delay_seconds gauge$/m);
    const pauses = [...s].filter(([k]) => k.startsWith('purse_gc_pauses_total{kind=')).reduce((n, [, v]) => n + v, 0);
    expect(pauses).toBeGreaterThan(0);
  });

  it('answers 404 for an unknown route', async () => {
    expect((await fetch(`${f.daemon.url}/nope`)).status).toBe(404);
  });

  it('keeps the ledger verified and logs no card number', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
    expectNoCardNumbers(f.logs);
  });
});
