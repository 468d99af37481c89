import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { daemonFixture } from '../helpers/daemon.js';
import { addChannel } from '../../src/registry/channels.js';
import { RegistryCache } from '../../src/daemon/registry-cache.js';
import { Lru } from '../../src/daemon/lru.js';

// Issue 20 §1: memory and work from unauthenticated requests. The throttle is lowered to 8
// failures a minute so the last test reaches it; the tests before it stay below.
const f = await daemonFixture({ cards: 1, setup: async (ctx) => void (ctx.config.authFailureLimit = 8) });
const [p0] = f.seed.pans as [string];
const buy = (id: string) => ({ request_id: id, type: 'balance', card: p0, merchant: 'M1', terminal: 'T1' });

/** A registry cache over the test database whose queries are counted (the database is real). */
function countingRegistry() {
  let queries = 0;
  const pool = new Proxy(f.ctx.db.pg, {
    get(target, prop, receiver) {
      if (prop === 'query') return (...args: unknown[]) => (queries++, (target.query as (...a: unknown[]) => unknown).apply(target, args));
      return Reflect.get(target, prop, receiver) as unknown;
    },
  }) as pg.Pool;
  return { registry: new RegistryCache({ ...f.ctx, db: { ...f.ctx.db, pg: pool } }), queries: () => queries };
}

describe('unauthenticated requests cannot grow the daemon', () => {
  it('a channel id that cannot be a channel code is unknown without a lookup (and a registry code the same for merchants)', async () => {
    const { registry, queries } = countingRegistry();
    expect(await registry.channel('x'.repeat(16_000))).toBeNull();
    expect(await registry.channel('has space')).toBeNull();
    expect(await registry.merchant('?'.repeat(64))).toBeNull();
    expect(queries()).toBe(0);
    expect(await registry.channel('CH')).toMatchObject({ code: 'CH' });
    expect(queries()).toBe(1);
  });

  it('does not remember an unknown channel: each miss is read again, so junk ids never pile up', async () => {
    const { registry, queries } = countingRegistry();
    for (let i = 0; i < 3; i++) expect(await registry.channel('NOT-THERE')).toBeNull();
    expect(queries()).toBe(3);
  });

  it('a channel created right after a refused request is accepted at once (the miss was not cached)', async () => {
    const r1 = await f.send(buy('late-1'), { channel: 'LATE' });
    expect(r1.status).toBe(401);
    const late = await addChannel(f.ctx, { code: 'LATE', merchants: ['M1'] });
    const r2 = await f.send(buy('late-2'), { channel: 'LATE', secret: late.secret });
    expect(r2.status).toBe(200);
  });

  it('a 16 KB junk X-Channel-Id is a plain 401', async () => {
    const r = await f.send(buy('junk'), { channel: 'J'.repeat(16_000) });
    expect(r.status).toBe(401);
  });

  it('an LRU never holds more than its bound and keeps what is used', () => {
    const lru = new Lru<string, number>(3);
    for (let i = 0; i < 1000; i++) lru.set(`k${i}`, i);
    expect(lru.size).toBe(3);
    lru.get('k997');
    lru.set('new', 1);
    expect(lru.get('k997')).toBe(997);
    expect(lru.get('k998')).toBeUndefined();
  });

  it('a source that keeps failing authentication gets 429 with Retry-After, before any lookup, even when it then signs properly', async () => {
    const failures: number[] = [];
    for (let i = 0; i < 8; i++) failures.push((await f.send(buy(`bad-${i}`), { channel: `NOPE${i}` })).status);
    // Earlier tests in this file failed twice (LATE before it existed, the junk id).
    expect(failures.filter((s) => s === 401).length).toBeGreaterThanOrEqual(6);
    const refused = await f.send(buy('good-after'));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(refused.body).toEqual({ error: { code: 'too_many_failures', message: expect.any(String) } });
  });
});
