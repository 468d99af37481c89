import { describe, expect, it } from 'vitest';
import { handlerCore } from '../helpers/handler-core.js';
import { pansIn, storedCounts } from '../helpers/daemon-extra.js';
import { createLogger } from '../../src/logger.js';
import { purchase } from '../../src/daemon/handlers/purchase.js';
import type { Handler } from '../../src/daemon/handlers/types.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// A core whose purchase handler has a bug for one amount: that message must fail alone (96,
// nothing stored) while the messages batched with it are processed.
const logs: string[] = [];
const BUGGY = 13;
const buggy: Handler = { ...purchase, decide: (dc) => { if (dc.msg.amount === BUGGY) throw new Error('bug in a handler'); return purchase.decide(dc); } };
const { ctx, seed, post } = await handlerCore({ purchase: buggy }, { logger: createLogger('debug', { write: (s: string) => void logs.push(s) }) });

describe('a message that fails for a reason other than the database', () => {
  it('answers 96 and stores nothing, while the messages batched with it are processed', async () => {
    const before = await storedCounts(ctx);
    const amounts = [100, 200, BUGGY, 300, 400, 500];
    const answers = await Promise.all(amounts.map((amount, n) =>
      post({ request_id: `fl-${n}`, type: 'purchase', card: seed.pans[0], amount, merchant: 'M1', terminal: 'T1' })));
    answers.forEach((a, n) => {
      expect(a.status).toBe(200);
      expect(a.body).toMatchObject(amounts[n] === BUGGY
        ? { request_id: `fl-${n}`, transaction_id: null, approved: false, response_code: '96', balance: null }
        : { request_id: `fl-${n}`, approved: true, response_code: '00' });
    });
    const after = await storedCounts(ctx);
    expect(after.transactions - before.transactions).toBe(amounts.length - 1);
    const { rows } = await ctx.db.pg.query(`select count(*)::int as n from transactions where request_id = 'fl-2'`);
    expect(rows[0].n).toBe(0);
    expect(logs.some((l) => l.includes('"msg":"message failed"') && l.includes('"request_id":"fl-2"'))).toBe(true);
    expect(logs.some((l) => l.includes('batch failed; retrying message by message'))).toBe(true); // it was not alone
  });

  it('the failed request_id stays free: once the bug is gone it is processed', async () => {
    const r = await post({ request_id: 'fl-2', type: 'purchase', card: seed.pans[0], amount: 14, merchant: 'M1', terminal: 'T1' });
    expect(r.body).toMatchObject({ approved: true, response_code: '00' });
  });

  it('keeps the ledger verified and logs no card number', async () => {
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
    expect(pansIn(logs)).toEqual([]);
  });
});
