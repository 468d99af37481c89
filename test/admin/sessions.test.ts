import { beforeAll, describe, expect, it } from 'vitest';
import { adminFixture, PASSWORD, type AdminFixture } from '../helpers/admin.js';

let f: AdminFixture;
beforeAll(async () => {
  f = await adminFixture();
  await f.operator('alice', 'platform_admin');
  await f.operator('bob', 'finance');
});

describe('sessions and passwords', () => {
  it('logs in with a token stored only hashed, and answers the operator', async () => {
    const r = await f.call('POST', '/sessions', { body: { username: 'alice', password: PASSWORD } });
    expect(r.status).toBe(201);
    expect(r.body.operator).toEqual({ username: 'alice', role: 'platform_admin' });
    expect(r.body.expires_at).toMatch(/^2026-03-10T18:00:00\+08:00$/);
    const { rows } = await f.ctx.db.pg.query<{ token_hash: Buffer }>('select token_hash from operator_sessions');
    for (const row of rows) expect(row.token_hash.toString('utf8')).not.toContain(r.body.token);
  });

  it('refuses an unknown user and a wrong password alike (401)', async () => {
    const a = await f.call('POST', '/sessions', { body: { username: 'nobody', password: PASSWORD } });
    const b = await f.call('POST', '/sessions', { body: { username: 'bob', password: 'wrong password' } });
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(a.body.detail).toBe(b.body.detail);
  });

  it('locks after five failures: 429 with Retry-After whatever the password, lifted after 15 minutes', async () => {
    for (let i = 1; i <= 5; i++) expect((await f.call('POST', '/sessions', { body: { username: 'alice', password: `wrong ${i}` } })).status).toBe(401);
    const locked = await f.call('POST', '/sessions', { body: { username: 'alice', password: PASSWORD } });
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('900');
    expect(locked.headers.get('content-type')).toBe('application/problem+json');
    f.ctx.clock.advance(14 * 60_000);
    const still = await f.call('POST', '/sessions', { body: { username: 'alice', password: 'still wrong' } });
    expect([still.status, still.headers.get('retry-after')]).toEqual([429, '60']);
    f.ctx.clock.advance(60_000);
    expect((await f.call('POST', '/sessions', { body: { username: 'alice', password: PASSWORD } })).status).toBe(201);
    const { rows } = await f.ctx.db.pg.query("select outcome from audit_log where action = 'session.login' and target = 'operator:alice' order by id");
    expect(rows.map((r) => r.outcome)).toEqual(['ok', 'unauthenticated', 'unauthenticated', 'unauthenticated', 'unauthenticated', 'unauthenticated', 'locked', 'locked', 'ok']);
  });

  it('changes one\'s own password: the old one stops working, other sessions end', async () => {
    const t1 = await f.login('bob');
    const t2 = await f.login('bob');
    const wrong = await f.call('POST', '/password', { token: t1, body: { current_password: 'not it at all', new_password: 'a brand new secret' } });
    expect([wrong.status, wrong.body.field]).toEqual([400, 'current_password']);
    const weak = await f.call('POST', '/password', { token: t1, body: { current_password: PASSWORD, new_password: '123' } });
    expect([weak.status, weak.body.field]).toEqual([400, 'new_password']);
    expect((await f.call('POST', '/password', { token: t1, body: { current_password: PASSWORD, new_password: 'a brand new secret' } })).status).toBe(204);
    expect((await f.call('GET', '/audit', { token: t1 })).status).toBe(200);
    expect((await f.call('GET', '/audit', { token: t2 })).status).toBe(401);
    expect((await f.call('POST', '/sessions', { body: { username: 'bob', password: PASSWORD } })).status).toBe(401);
    expect(await f.login('bob', 'a brand new secret')).toMatch(/^pst_/);
  });

  it('answers bad requests as problem+json naming the field; unknown fields and duplicate keys are errors', async () => {
    const t = await f.login('bob', 'a brand new secret');
    const unknown = await f.call('POST', '/sessions', { body: { username: 'bob', password: 'x', remember: true } });
    expect([unknown.status, unknown.body.field]).toEqual([400, 'remember']);
    const q = await f.call('GET', '/audit?limit=501', { token: t });
    expect([q.status, q.body.field]).toEqual([400, 'limit']);
    const extra = await f.call('GET', '/audit?colour=red', { token: t });
    expect([extra.status, extra.body.field]).toEqual([400, 'colour']);
    const res = await fetch(`${f.admin}/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"bob","username":"x","password":"y"}' });
    expect([res.status, ((await res.json()) as { field: string }).field]).toEqual([400, 'username']);
  });

  it('pages lists with an opaque cursor', async () => {
    const t = await f.login('bob', 'a brand new secret');
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { status: number; body: { items: { id: number }[]; next_cursor: string | null } } = await f.call('GET', `/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: t });
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((i) => i.id));
      cursor = r.body.next_cursor;
      pages++;
    } while (cursor);
    const { rows } = await f.ctx.db.pg.query<{ id: number }>('select id from audit_log order by id');
    expect(seen).toEqual(rows.map((r) => r.id).filter((id) => id <= seen[seen.length - 1]!));
    expect(pages).toBeGreaterThan(2);
    expect((await f.call('GET', '/audit?cursor=bogus', { token: t })).status).toBe(400);
  });

  it('serves the OpenAPI document and /metrics without a token; /metrics left the transaction port', async () => {
    const spec = await f.call('GET', '/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.paths['/admin/v1/transactions/{id}/refund'].post.requestBody.content['application/json'].schema).toMatchObject({ additionalProperties: false, required: ['amount'] });
    const metrics = await fetch(`${f.daemon.admin!.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE');
    expect((await fetch(`${f.daemon.url}/metrics`)).status).toBe(404);
  });
});
