import { describe, expect, it } from 'vitest';
import { to as copyTo } from 'pg-copy-streams';
import { adminFixture } from '../helpers/admin.js';
import { addHolder, forgetHolder } from '../../src/holders/holders.js';
import { cliActor } from '../../src/admin/audit.js';

const f = await adminFixture();
await f.operator('pa', 'platform_admin');

/** Every table of the schema as `COPY … TO STDOUT` writes it (what a pg_dump data section holds). */
async function tableCopies(): Promise<Map<string, string>> {
  const { rows } = await f.ctx.db.pg.query<{ name: string }>("select quote_ident(tablename) as name from pg_tables where schemaname = 'public' order by tablename");
  const out = new Map<string, string>();
  const client = await f.ctx.db.pg.connect();
  try {
    for (const { name } of rows) {
      const chunks: Buffer[] = [];
      const stream = client.query(copyTo(`copy ${name} to stdout`));
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      out.set(name, Buffer.concat(chunks).toString('utf8'));
    }
  } finally {
    client.release();
  }
  return out;
}

describe('personal data of holders', () => {
  it('never appears in clear in any table copy, the audit log or the logs, whatever the holder did', async () => {
    const people = [
      { name: 'Zhang Privacyname', id_type: 'resident_id', id_number: '44030419880808123X', mobile: '13512349876' },
      { name: '李秘密', id_type: 'passport', id_number: 'G55667788', mobile: '+8618600001111' },
    ];
    const pa = await f.login('pa');
    const a = await f.call('POST', '/holders', { token: pa, body: { ...people[0], password: 'holder password 1' } });
    expect(a.status).toBe(201);
    expect((await f.call('POST', '/holders', { token: pa, body: { ...people[0], name: 'Someone Else' } })).status).toBe(409);
    const b = await addHolder(f.ctx, people[1]!, null, cliActor());
    expect((await f.call('POST', `/holders/${a.body.id}/cards`, { token: pa, body: { card: f.seed.pans[0] } })).status).toBe(201);
    expect((await f.call('GET', `/holders?mobile=${people[0]!.mobile}&id_number=${people[0]!.id_number}`, { token: pa })).body.items.length).toBe(1);
    expect((await f.call('POST', '/sessions', { body: { mobile: people[0]!.mobile, password: 'a wrong password' } })).status).toBe(401);
    const login = await f.call('POST', '/sessions', { body: { mobile: people[0]!.mobile, password: 'holder password 1' } });
    expect(login.status).toBe(201);
    expect(JSON.stringify(login.body)).not.toContain(people[0]!.mobile);
    expect((await f.call('POST', '/password', { token: login.body.token, body: { current_password: 'holder password 1', new_password: 'another password 2' } })).status).toBe(204);
    await forgetHolder(f.ctx, b.holder.id, cliActor());

    const copies = await tableCopies();
    expect(copies.get('holders')!.split('\n').filter(Boolean).length).toBe(2);
    expect(copies.get('audit_log')).toContain('holder.add');
    const secrets = people.flatMap((p) => [p.name, p.id_number, p.id_number.toLowerCase(), p.mobile, p.mobile.replace('+', '')]);
    const leaks: string[] = [];
    for (const [table, text] of copies) for (const s of secrets) if (text.includes(s)) leaks.push(`${table}: ${s.slice(0, 2)}…`);
    const logs = f.logs.join('');
    for (const s of secrets) if (logs.includes(s)) leaks.push(`logs: ${s.slice(0, 2)}…`);
    expect(leaks).toEqual([]);
  });
});
