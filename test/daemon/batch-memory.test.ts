import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// One batch connection: messages arriving while a batch runs are decided together in the next one,
// so every decision must see the effect of the ones before it in the same batch.
const f = await daemonFixture({ cards: 3, batch: { concurrency: 1 } });
const [c0, c1, c2] = f.seed.cardIds as [number, number, number];
const [p0, p1, p2] = f.seed.pans as [string, string, string];
const base = { merchant: 'M1', terminal: 'T1' };

describe('decisions within one micro-batch', () => {
  it('concurrent loads never take a card above its program maximum (61)', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, n) =>
      f.send({ ...base, request_id: `load-${n}`, type: 'load', card: p0, amount: 30_000 })));
    const approved = answers.filter((a) => a.body.response_code === '00');
    expect(approved).toHaveLength(3);
    expect(answers.filter((a) => a.body.response_code === '61')).toHaveLength(9);
    expect((await f.balance(c0)).balance).toBe(90_000);
  });

  it('a preauth and purchases in one batch share the available balance', async () => {
    await f.fund(c1, 10_000);
    const answers = await Promise.all([
      f.send({ ...base, request_id: 'pa-1', type: 'preauth', card: p1, amount: 6_000 }),
      ...Array.from({ length: 6 }, (_, n) => f.send({ ...base, request_id: `pp-${n}`, type: 'purchase', card: p1, amount: 3_000 })),
    ]);
    const approvedTotal = answers.filter((a) => a.body.approved).reduce((s, a) => s + Number(a.body.amount_approved), 0);
    expect(approvedTotal).toBeLessThanOrEqual(10_000);
    const { balance, held } = await f.balance(c1);
    expect(balance - held).toBeGreaterThanOrEqual(0);
    expect(10_000 - balance + held).toBe(approvedTotal);
  });

  it('each response shows the balance after its own message', async () => {
    await f.fund(c2, 1_000);
    const answers = await Promise.all(Array.from({ length: 5 }, (_, n) =>
      f.send({ ...base, request_id: `seq-${n}`, type: 'purchase', card: p2, amount: 100 })));
    const ledgers = answers.map((a) => (a.body.balance as { ledger: number }).ledger).sort((a, b) => b - a);
    expect(ledgers).toEqual([900, 800, 700, 600, 500]);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
