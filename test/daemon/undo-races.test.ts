import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { expireDueHolds } from '../../src/ledger/holds.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// Racing messages about one original: whatever the interleaving (same batch or not), the original
// is undone or refunded at most as far as it can be.
const f = await daemonFixture({ cards: 5 });
const [c0, c1, c2, c3, c4] = f.seed.cardIds as [number, number, number, number, number];
const [p0, p1, p2, p3, p4] = f.seed.pans as [string, string, string, string, string];
const base = { merchant: 'M1', terminal: 'T1' };
const DAY = 86_400_000;
const codes = (answers: { body: Record<string, unknown> }[]) => answers.map((a) => a.body.response_code).sort();

describe('racing messages about one original', () => {
  it('5 concurrent refunds of 300 against a purchase of 1000: three approved, two declined 13', async () => {
    await f.fund(c0, 5_000);
    expect((await f.send({ ...base, request_id: 'rr-buy', type: 'purchase', card: p0, amount: 1_000 })).body.response_code).toBe('00');
    const answers = await Promise.all(Array.from({ length: 5 }, (_, n) =>
      f.send({ ...base, request_id: `rr-rf-${n}`, type: 'refund', original_request_id: 'rr-buy', amount: 300 })));
    expect(codes(answers)).toEqual(['00', '00', '00', '13', '13']);
    expect((await f.balance(c0)).balance).toBe(4_000 + 900);
    const { rows } = await f.ctx.db.pg.query(`select refunded_amount from transactions where request_id = 'rr-buy'`);
    expect(rows[0].refunded_amount).toBe(900);
  });

  it('a void and a reversal of one purchase at once: the purchase is undone exactly once', async () => {
    await f.fund(c1, 5_000);
    for (let n = 0; n < 5; n++) {
      expect((await f.send({ ...base, request_id: `vr-buy-${n}`, type: 'purchase', card: p1, amount: 700 })).body.response_code).toBe('00');
      const [v, r] = await Promise.all([
        f.send({ ...base, request_id: `vr-void-${n}`, type: 'void', original_request_id: `vr-buy-${n}` }),
        f.send({ ...base, request_id: `vr-rev-${n}`, type: 'reversal', original_request_id: `vr-buy-${n}` }),
      ]);
      // void first: 00 then the reversal finds it undone (00, no effect); reversal first: the void answers 94.
      expect([['00', '00'], ['94', '00']]).toContainEqual([v.body.response_code, r.body.response_code]);
      expect((await f.balance(c1)).balance).toBe(5_000);
    }
    const { rows } = await f.ctx.db.pg.query(`select count(*)::int as n from entries where kind in ('void', 'reversal') and transaction_id in
      (select id from transactions where request_id like 'vr-void-%' or request_id like 'vr-rev-%')`);
    expect(rows[0].n).toBe(5);
  });

  it('a capture and a void of one preauth at once: exactly one of them takes the hold', async () => {
    await f.fund(c2, 10_000);
    for (let n = 0; n < 5; n++) {
      expect((await f.send({ ...base, request_id: `cv-pre-${n}`, type: 'preauth', card: p2, amount: 1_000 })).body.response_code).toBe('00');
      const [cap, v] = await Promise.all([
        f.send({ ...base, request_id: `cv-cap-${n}`, type: 'capture', original_request_id: `cv-pre-${n}`, amount: 1_000 }),
        f.send({ ...base, request_id: `cv-void-${n}`, type: 'void', original_request_id: `cv-pre-${n}` }),
      ]);
      // capture first: the void of the captured preauth is refused (12); void first: the capture finds the hold released (94).
      expect([['00', '12'], ['94', '00']]).toContainEqual([cap.body.response_code, v.body.response_code]);
      expect((await f.balance(c2)).held).toBe(0);
    }
    const captured = (await f.ctx.db.pg.query(`select count(*)::int as n from transactions where request_id like 'cv-cap-%' and approved`)).rows[0].n;
    expect((await f.balance(c2)).balance).toBe(10_000 - captured * 1_000);
  });

  it('captures racing the hold-expiry job after expiry: every capture 12, each hold released exactly once', async () => {
    await f.fund(c3, 10_000);
    for (let n = 0; n < 5; n++) {
      expect((await f.send({ ...base, request_id: `ce-pre-${n}`, type: 'preauth', card: p3, amount: 500 })).body.response_code).toBe('00');
    }
    f.ctx.clock.advance(7 * DAY);
    try {
      const [job, ...caps] = await Promise.all([
        expireDueHolds(f.ctx),
        ...Array.from({ length: 5 }, (_, n) => f.send({ ...base, request_id: `ce-cap-${n}`, type: 'capture', original_request_id: `ce-pre-${n}` })),
      ]);
      // At expiry every capture is refused (12); the job and the captures release each hold once between them.
      expect(codes(caps)).toEqual(['12', '12', '12', '12', '12']);
      expect(job.released).toBe(job.expired * 500);
      expect(await f.balance(c3)).toEqual({ balance: 10_000, held: 0 });
      const { rows } = await f.ctx.db.pg.query(`select status, count(*)::int as n from holds where card_id = $1 group by status`, [c3]);
      expect(rows).toEqual([{ status: 'expired', n: 5 }]);
    } finally {
      f.ctx.clock.advance(-7 * DAY);
    }
  });

  it('purchases racing refunds and loads on one card never take it below zero or above its maximum', async () => {
    await f.fund(c4, 99_000);
    expect((await f.send({ ...base, request_id: 'mx-buy', type: 'purchase', card: p4, amount: 2_000 })).body.response_code).toBe('00');
    const answers = await Promise.all(Array.from({ length: 30 }, (_, n) => {
      if (n % 3 === 0) return f.send({ ...base, request_id: `mx-${n}`, type: 'refund', original_request_id: 'mx-buy', amount: 200 });
      if (n % 3 === 1) return f.send({ ...base, request_id: `mx-${n}`, type: 'load', card: p4, amount: 500 });
      return f.send({ ...base, request_id: `mx-${n}`, type: 'purchase', card: p4, amount: 9_000 });
    }));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const sum = (k: number) => answers.filter((a, n) => n % 3 === k && a.body.approved).reduce((s, a) => s + (a.body.amount_approved as number), 0);
    const balance = (await f.balance(c4)).balance;
    expect(balance).toBe(97_000 + sum(0) + sum(1) - sum(2));
    expect(balance).toBeGreaterThanOrEqual(0);
    expect(balance).toBeLessThanOrEqual(100_000);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
