import { describe, expect, it } from 'vitest';
import { daemonFixture, expectNoPans } from '../helpers/daemon.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const f = await daemonFixture({ cards: 4 });
const [c0, c1, c2, c3] = f.seed.cardIds as [number, number, number, number];
const [p0, p1, p2, p3] = f.seed.pans as [string, string, string, string];
const base = { merchant: 'M1', terminal: 'T1' };

describe('concurrency', () => {
  it('50 concurrent full-balance purchases on one card: exactly one approved, 49 declined 51, balance 0', async () => {
    await f.fund(c0, 7_777);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, n) =>
      f.send({ ...base, request_id: `full-${n}`, type: 'purchase', card: p0, amount: 7_777 })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const codes = answers.map((a) => a.body.response_code).sort();
    expect(codes.filter((c) => c === '00')).toHaveLength(1);
    expect(codes.filter((c) => c === '51')).toHaveLength(49);
    expect(await f.balance(c0)).toEqual({ balance: 0, held: 0 });
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('the same request sent 5 times concurrently has one effect and five identical responses', async () => {
    await f.fund(c1, 1_000);
    const body = { ...base, request_id: 'same-5', type: 'purchase', card: p1, amount: 400 };
    const answers = await Promise.all(Array.from({ length: 5 }, () => f.send(body)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
    expect(answers[0]!.body).toMatchObject({ approved: true, response_code: '00' });
    expect((await f.balance(c1)).balance).toBe(600);
    const { rows } = await f.ctx.db.pg.query(`select count(*)::int as n from transactions where request_id = 'same-5'`);
    expect(rows[0].n).toBe(1);
  });

  it('a reversal racing its original never lets both win', async () => {
    await f.fund(c2, 10_000);
    for (let n = 0; n < 10; n++) {
      const [orig] = await Promise.all([
        f.send({ ...base, request_id: `race-${n}`, type: 'purchase', card: p2, amount: 100 }),
        f.send({ ...base, request_id: `race-rev-${n}`, type: 'reversal', original_request_id: `race-${n}` }),
      ]);
      // Either the purchase went first (00, then reversed) or the reversal did (purchase declined 94).
      expect(['00', '94']).toContain(orig.body.response_code);
    }
    expect((await f.balance(c2)).balance).toBe(10_000);
  });

  it('mixed concurrent traffic on two cards never overdraws and never deadlocks', async () => {
    await f.fund(c3, 5_000);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, n) => {
      const pan = n % 2 ? p3 : p2;
      const type = n % 3 === 0 ? 'load' : 'purchase';
      return f.send({ ...base, request_id: `mix-${n}`, type, card: pan, amount: 250 });
    }));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const approved = (pan: string, type: string) =>
      answers.filter((a, n) => (n % 2 ? p3 : p2) === pan && (n % 3 === 0 ? 'load' : 'purchase') === type && a.body.approved).length * 250;
    expect((await f.balance(c3)).balance).toBe(5_000 + approved(p3, 'load') - approved(p3, 'purchase'));
    expect((await f.balance(c2)).balance).toBe(10_000 + approved(p2, 'load') - approved(p2, 'purchase'));
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('logs no card number', () => {
    expectNoPans(f.logs, f.seed.pans);
  });
});
