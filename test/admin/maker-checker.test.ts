import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminFixture, PASSWORD, type AdminFixture } from '../helpers/admin.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/batch.js';
import { verifyLedger } from '../../src/ledger/verify.js';

let f: AdminFixture;
let fi1: string;
let fi2: string;
beforeAll(async () => {
  f = await adminFixture();
  await f.operator('fi1', 'finance');
  await f.operator('fi2', 'finance');
  await f.operator('io', 'issuer_ops', { issuer: 'ISS' });
  fi1 = await f.login('fi1');
  fi2 = await f.login('fi2');
});

const balance = async (cardId: number) => (await f.balance(cardId))?.balance ?? 0;
const audit = async (target: string) =>
  (await f.ctx.db.pg.query<{ actor: string; action: string; outcome: string }>('select actor, action, outcome from audit_log where target = $1 order by id', [target])).rows;

describe('maker-checker adjustments over the API', () => {
  it('applies an adjustment only when another finance operator approves; the maker gets 403', async () => {
    const card = f.seed.cardIds[0]!;
    const before = await balance(card);
    const req = await f.call('POST', '/adjustments', { token: fi1, body: { card_id: card, amount: 2500, reason: 'compensation for ticket 42' } });
    expect(req.status).toBe(201);
    expect(req.body).toMatchObject({ kind: 'adjustment', status: 'pending', maker: 'fi1', checker: null, total: 2500 });
    expect(await balance(card)).toBe(before);
    const own = await f.call('POST', `/approvals/${req.body.id}/approve`, { token: fi1 });
    expect([own.status, own.body.status]).toEqual([403, 403]);
    expect(await balance(card)).toBe(before);
    const ok = await f.call('POST', `/approvals/${req.body.id}/approve`, { token: fi2, headers: { 'idempotency-key': 'a1' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'approved', maker: 'fi1', checker: 'fi2' });
    expect(await balance(card)).toBe(before + 2500);
    const again = await f.call('POST', `/approvals/${req.body.id}/approve`, { token: fi2, headers: { 'idempotency-key': 'a1' } });
    expect([again.status, again.body.checker]).toEqual([200, 'fi2']);
    expect((await f.call('POST', `/approvals/${req.body.id}/approve`, { token: fi2 })).status).toBe(409);
    expect(await balance(card)).toBe(before + 2500);
    const { rows } = await f.ctx.db.pg.query("select p.account, p.amount, p.entry_kind from postings p join entries e on e.id = p.entry_id where e.kind = 'adjustment' order by p.amount");
    expect(rows).toEqual([
      { account: 'suspense:adjustments', amount: -2500, entry_kind: 'adjustment' },
      { account: `card:${card}:value`, amount: 2500, entry_kind: 'adjustment' },
    ]);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
    expect(await audit(`approval:${req.body.id}`)).toEqual([
      { actor: 'api:fi1', action: 'adjustment.request', outcome: 'ok' },
      { actor: 'api:fi1', action: 'approval.approve', outcome: 'forbidden' },
      { actor: 'api:fi2', action: 'approval.approve', outcome: 'ok' },
    ]);
  });

  it('a rejected, an expired, or an unaffordable adjustment moves nothing', async () => {
    const card = f.seed.cardIds[1]!;
    const before = await balance(card);
    const rejected = await f.call('POST', '/adjustments', { token: fi1, body: { card_id: card, amount: 700, reason: 'typo' } });
    expect((await f.call('POST', `/approvals/${rejected.body.id}/reject`, { token: fi2 })).body.status).toBe('rejected');
    expect((await f.call('POST', `/approvals/${rejected.body.id}/approve`, { token: fi2 })).status).toBe(409);
    const debit = await f.call('POST', '/adjustments', { token: fi1, body: { card_id: card, amount: -(before + 1), reason: 'too much' } });
    const refused = await f.call('POST', `/approvals/${debit.body.id}/approve`, { token: fi2 });
    expect([refused.status, refused.body.field]).toEqual([409, 'amount']);
    const late = await f.call('POST', '/adjustments', { token: fi1, body: { card_id: card, amount: 900, reason: 'late' } });
    f.ctx.clock.advance(7 * 86_400_000);
    const fresh = await f.login('fi2');
    const expired = await f.call('POST', `/approvals/${late.body.id}/approve`, { token: fresh });
    expect([expired.status, expired.body.detail]).toEqual([409, `approval ${late.body.id} is expired`]);
    expect(await balance(card)).toBe(before);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('names the field of a bad request: both card and card_id, zero amount, missing reason', async () => {
    fi1 = await f.login('fi1'); // the clock moved 7 days in the test before
    const both = await f.call('POST', '/adjustments', { token: fi1, body: { card: f.seed.pans[0], card_id: 1, amount: 1, reason: 'x' } });
    const zero = await f.call('POST', '/adjustments', { token: fi1, body: { card_id: 1, amount: 0, reason: 'x' } });
    const noReason = await f.call('POST', '/adjustments', { token: fi1, body: { card_id: 1, amount: 5 } });
    expect([both.body.field, zero.body.field, noReason.body.field]).toEqual(['card_id', 'amount', 'reason']);
    const byPan = await f.call('POST', '/adjustments', { token: fi1, body: { card: f.seed.pans[2], amount: 5, reason: 'by number' } });
    expect([byPan.status, byPan.body.payload.card_id]).toEqual([201, f.seed.cardIds[2]]);
    expect(JSON.stringify(byPan.body)).not.toContain(f.seed.pans[2]);
  });
});

describe('maker-checker in the CLI (--as, password on standard input)', () => {
  const purse = (args: string[], input: string) => runCli(args, { ...f.ctx.env, PURSE_LOAD_APPROVAL_OVER: '1000' }, input);

  it('purse adjust and purse approvals approve: two identified people', async () => {
    const card = f.seed.cardIds[0]!;
    const before = await balance(card);
    const made = await purse(['adjust', '--card-id', String(card), '--amount', '-300', '--reason', 'chargeback', '--as', 'fi1', '--json'], `${PASSWORD}\n`);
    expect(made.code, made.stderr).toBe(0);
    const id = JSON.parse(made.stdout).id as number;
    const own = await purse(['approvals', 'approve', String(id), '--as', 'fi1'], `${PASSWORD}\n`);
    expect([own.code, own.stderr]).toEqual([1, expect.stringContaining('nobody approves their own')]);
    const badPw = await purse(['approvals', 'approve', String(id), '--as', 'fi2'], 'not my password\n');
    expect(badPw.code).toBe(1);
    const ok = await purse(['approvals', 'approve', String(id), '--as', 'fi2', '--json'], `${PASSWORD}\n`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'approved', maker: 'fi1', checker: 'fi2' });
    expect(await balance(card)).toBe(before - 300);
    const rows = await audit(`approval:${id}`);
    expect(rows.map((r) => `${r.action} ${r.outcome}`)).toEqual(['adjustment.request ok', 'approval.approve ok']);
    expect(rows[0]!.actor).toMatch(/^cli:.+\/fi1$/);
    expect(rows[1]!.actor).toMatch(/^cli:.+\/fi2$/);
  });

  it('an over-limit load file waits with its rows and SHA-256; approval applies exactly those rows once', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'big.csv');
    fs.writeFileSync(file, `card,amount,reference\n${f.seed.pans[1]},1500,big-1\n${f.seed.pans[2]},600,big-2\n`);
    const before = [await balance(f.seed.cardIds[1]!), await balance(f.seed.cardIds[2]!)];
    const noAs = await purse(['cards', 'load', file], '');
    expect(noAs.code).toBe(2);
    const held = await purse(['cards', 'load', file, '--as', 'fi1'], `${PASSWORD}\n`);
    expect(held.code, held.stderr).toBe(0);
    const pending = JSON.parse(held.stdout);
    expect(pending).toMatchObject({ status: 'pending', total: 2100, lines: 2 });
    const stored = await f.ctx.db.pg.query('select rows::text as rows, file_sha256, issuer_id from approvals where id = $1', [pending.approval_id]);
    expect(stored.rows[0].file_sha256).toBe(pending.file_sha256);
    expect(stored.rows[0].issuer_id).toBe(f.seed.issuerId);
    for (const pan of f.seed.pans) expect(stored.rows[0].rows).not.toContain(pan);
    fs.writeFileSync(file, `card,amount,reference\n${f.seed.pans[1]},999999,changed\n`); // the file changing afterwards does not matter
    expect([await balance(f.seed.cardIds[1]!), await balance(f.seed.cardIds[2]!)]).toEqual(before);
    const own = await purse(['approvals', 'approve', String(pending.approval_id), '--as', 'fi1'], `${PASSWORD}\n`);
    expect(own.code).toBe(1);
    const ok = await purse(['approvals', 'approve', String(pending.approval_id), '--as', 'io', '--json'], `${PASSWORD}\n`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).result).toMatchObject({ applied: { count: 2, amount: 2100 }, rejected: { count: 0 } });
    expect([await balance(f.seed.cardIds[1]!), await balance(f.seed.cardIds[2]!)]).toEqual([before[0]! + 1500, before[1]! + 600]);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
    expect((await purse(['approvals', 'approve', String(pending.approval_id), '--as', 'fi2'], `${PASSWORD}\n`)).code).toBe(1);
    const trail = (await audit('load_file:big.csv')).concat(await audit(`approval:${pending.approval_id}`));
    expect(trail.map((r) => `${r.action} ${r.actor.replace(/^cli:[^/]+/, 'cli:u')}`)).toEqual([
      'cards.load cli:u/io', 'load.request cli:u/fi1', 'approval.approve cli:u/io',
    ]);
    const small = path.join(dir, 'small.csv');
    fs.writeFileSync(small, `card,amount,reference\n${f.seed.pans[0]},100,small-1\n`);
    expect((await purse(['cards', 'load', small], '')).code).toBe(0);
    expect((await audit('load_file:small.csv')).map((r) => r.actor)).toEqual([expect.stringMatching(/^cli:[^/]+$/)]);
  });
});
