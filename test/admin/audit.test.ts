import { beforeAll, describe, expect, it } from 'vitest';
import { adminFixture, PASSWORD, type AdminFixture } from '../helpers/admin.js';

let f: AdminFixture;
beforeAll(async () => {
  f = await adminFixture();
  await f.operator('pa', 'platform_admin');
  await f.operator('ma', 'merchant_admin', { merchant: 'M1' });
});

describe('audit log', () => {
  it('records API writes with actor, role, target, source and before/after', async () => {
    const pa = await f.login('pa');
    const created = await f.call('POST', '/terminals', { token: pa, body: { code: 'T9', merchant: 'M1' } });
    expect(created.status).toBe(201);
    await f.call('PATCH', '/merchants/M1', { token: pa, body: { name: 'Renamed' } });
    const { rows } = await f.ctx.db.pg.query("select actor, role, action, target, source, outcome, before, after, request_id from audit_log where action in ('terminal.add', 'merchant.update') order by id");
    expect(rows).toMatchObject([
      { actor: 'api:pa', role: 'platform_admin', action: 'terminal.add', target: `terminal:${created.body.id}`, outcome: 'ok', after: { code: 'T9', merchant: 'M1' } },
      { actor: 'api:pa', role: 'platform_admin', action: 'merchant.update', target: 'merchant:M1', outcome: 'ok', before: { name: 'Merchant one' }, after: { name: 'Renamed' } },
    ]);
    for (const r of rows) {
      expect(r.source).toMatch(/127\.0\.0\.1/);
      expect(r.request_id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    const before = (await f.ctx.db.pg.query('select count(*)::int as n from audit_log')).rows[0].n as number;
    expect(before).toBeGreaterThan(0);
    await expect(f.ctx.db.pg.query("update audit_log set actor = 'someone else'")).rejects.toThrow(/append-only/);
    await expect(f.ctx.db.pg.query('delete from audit_log')).rejects.toThrow(/append-only/);
    await expect(f.ctx.db.pg.query('truncate audit_log')).rejects.toThrow(/append-only/);
    expect((await f.ctx.db.pg.query('select count(*)::int as n from audit_log')).rows[0].n).toBe(before);
  });

  it('holds no password, token or card number; nor do the logs', async () => {
    const token = await f.login('ma');
    const secrets = [PASSWORD, token, 'the next password 1', ...f.seed.pans];
    await f.call('POST', '/password', { token, body: { current_password: PASSWORD, new_password: 'the next password 1' } });
    await f.call('POST', '/operators', { token, body: { username: 'clerk', role: 'merchant_operator', password: 'clerk password 12' } });
    secrets.push('clerk password 12');
    await f.call('POST', '/sessions', { body: { username: f.seed.pans[1], password: 'wrong password' } });
    await f.call('POST', '/sessions', { body: { username: 'ma', password: 'a wrong guess' } });
    secrets.push('a wrong guess');
    await f.call('GET', `/transactions?card_last4=${f.seed.pans[0]!.slice(-4)}`, { token });
    const { rows } = await f.ctx.db.pg.query('select row_to_json(a)::text as t from audit_log a');
    const audit = rows.map((r) => r.t as string).join('\n');
    expect(audit).toContain('operator:clerk');
    const logs = f.logs.join('');
    for (const s of secrets) {
      expect(audit.includes(s), `audit holds ${s.slice(0, 4)}…`).toBe(false);
      expect(logs.includes(s), `logs hold ${s.slice(0, 4)}…`).toBe(false);
    }
  });
});
