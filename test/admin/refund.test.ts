import { beforeAll, describe, expect, it } from 'vitest';
import { adminFixture, type AdminFixture } from '../helpers/admin.js';
import { verifyLedger } from '../../src/ledger/verify.js';

let f: AdminFixture;
let ma: string;
beforeAll(async () => {
  f = await adminFixture();
  await f.operator('ma', 'merchant_admin', { merchant: 'M1' });
  await f.operator('mo', 'merchant_operator', { merchant: 'M1' });
  ma = await f.login('ma');
  await f.fund(f.seed.cardIds[0]!, 100_000);
});

async function purchase(requestId: string, amount: number): Promise<number> {
  const p = await f.send({ request_id: requestId, type: 'purchase', card: f.seed.pans[0], amount, merchant: 'M1', terminal: 'T1' });
  expect(p.body.response_code).toBe('00');
  return p.body.transaction_id as number;
}

describe('refund (退货) through the pipeline on WEB-SEAT', () => {
  it('refunds on WEB-SEAT without a channel fee, and answers a repeat of its Idempotency-Key with the first answer', async () => {
    const id = await purchase('buy-1', 5000);
    const before = await f.balance(f.seed.cardIds[0]!);
    const r = await f.call('POST', `/transactions/${id}/refund`, { token: ma, body: { amount: 2000 }, headers: { 'idempotency-key': 'k1' } });
    expect([r.status, r.body.response_code, r.body.amount_approved, r.body.id]).toEqual([201, '00', 2000, r.body.transaction_id]);
    const again = await f.call('POST', `/transactions/${id}/refund`, { token: ma, body: { amount: 2000 }, headers: { 'idempotency-key': 'k1' } });
    expect([again.status, again.body.transaction_id]).toEqual([201, r.body.transaction_id]);
    const other = await f.call('POST', `/transactions/${id}/refund`, { token: ma, body: { amount: 1000 }, headers: { 'idempotency-key': 'k1' } });
    expect([other.status, other.body.field]).toEqual([409, 'Idempotency-Key']);
    expect((await f.balance(f.seed.cardIds[0]!)).balance).toBe(before.balance + 2000);
    const detail = await f.call('GET', `/transactions/${r.body.transaction_id}`, { token: ma });
    expect(detail.body).toMatchObject({ channel: 'WEB-SEAT', type: 'refund', merchant: 'M1', original_id: id, amount_approved: 2000 });
    expect(detail.body.card.masked).toMatch(/^\*+\d{4}$/);
    const { rows } = await f.ctx.db.pg.query('select channel_fee from transactions where id = $1', [r.body.transaction_id]);
    expect(rows[0].channel_fee).toBe(0);
    const audit = await f.ctx.db.pg.query("select actor, outcome, target from audit_log where action = 'transaction.refund'");
    expect(audit.rows).toEqual([{ actor: 'api:ma', outcome: 'ok', target: `transaction:${id}` }]);
  });

  it('two racing requests with one Idempotency-Key refund once', async () => {
    const id = await purchase('buy-4', 4000);
    const send = () => f.call('POST', `/transactions/${id}/refund`, { token: ma, body: { amount: 1000 }, headers: { 'idempotency-key': 'race' } });
    const answers = await Promise.all([send(), send(), send()]);
    for (const a of answers) expect([201, 409]).toContain(a.status);
    const ok = answers.filter((a) => a.status === 201);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((a) => a.body.transaction_id)).size).toBe(1);
    const after = await f.call('POST', `/transactions/${id}/refund`, { token: ma, body: { amount: 1000 }, headers: { 'idempotency-key': 'race' } });
    expect([after.status, after.body.transaction_id]).toEqual([201, ok[0]!.body.transaction_id]);
    const { rows } = await f.ctx.db.pg.query('select refunded_amount from transactions where id = $1', [id]);
    expect(rows[0].refunded_amount).toBe(1000);
  });

  it('declines a refund above what remains refundable (409, DE39 13, field amount)', async () => {
    const id = await purchase('buy-2', 3000);
    const r = await f.call('POST', `/transactions/${id}/refund`, { token: ma, body: { amount: 3001 } });
    expect([r.status, r.body.title, r.body.field]).toEqual([409, 'declined 13', 'amount']);
  });

  it('API and HTTP refunds of the same purchase, racing, never exceed it', async () => {
    const id = await purchase('buy-3', 10_000);
    const mo = await f.login('mo');
    const api = [ma, mo, ma].map((t) => f.call('POST', `/transactions/${id}/refund`, { token: t, body: { amount: 4000 } }));
    const http = [1, 2, 3].map((n) => f.send({ request_id: `rf-${n}`, type: 'refund', original_request_id: 'buy-3', amount: 4000, merchant: 'M1', terminal: 'T1' }));
    const results = await Promise.all([...api, ...http]);
    const approved = results.filter((r) => (r.status === 201 || r.status === 200) && (r.body as { response_code?: string }).response_code === '00').length;
    expect(approved).toBe(2);
    const { rows } = await f.ctx.db.pg.query<{ refunded: number; sum: number }>(
      "select (select refunded_amount from transactions where id = $1) as refunded, (select coalesce(sum(amount_approved), 0)::bigint from transactions where original_id = $1 and type = 'refund' and approved) as sum", [id]);
    expect(rows[0]).toEqual({ refunded: 8000, sum: 8000 });
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
