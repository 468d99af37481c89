import type http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { seedBasics } from '../helpers/seed.js';
import { pansIn, storedCounts } from '../helpers/daemon-extra.js';
import { createLogger } from '../../src/logger.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addChannel } from '../../src/registry/channels.js';
import { TransactionCore } from '../../src/daemon/core.js';
import { HANDLERS } from '../../src/daemon/handlers/index.js';
import { purchase } from '../../src/daemon/handlers/purchase.js';
import type { Handler } from '../../src/daemon/handlers/types.js';
import { postTransaction } from '../../src/daemon/http-transactions.js';
import { signBody } from '../../src/daemon/signature.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';

// A core whose purchase handler has a bug for one amount: that message must fail alone (96,
// nothing stored) while the messages batched with it are processed.
const logs: string[] = [];
const ctx = await testContext({ logger: createLogger('debug', { write: (s: string) => void logs.push(s) }) });
const seed = await seedBasics(ctx, 1);
await addMerchant(ctx, { code: 'M1' });
await addTerminal(ctx, { merchant: 'M1', code: 'T1' });
const ch = await addChannel(ctx, { code: 'CH', merchants: ['M1'] });
await withTransaction(ctx.db.pg, async (c) => {
  const d = await openBusinessDate(c, ctx.clock.now(), ctx.calendar);
  await postEntries(c, d, [balancedEntry('bulk_load', [
    { account: account.cardValue(seed.cardIds[0]!), asset: 'CNY', amount: 10_000 },
    { account: account.issuer(seed.issuerId), asset: 'CNY', amount: -10_000 },
  ], { occurredAt: ctx.clock.now() })]);
});
const BUGGY = 13;
const buggy: Handler = { ...purchase, decide: (dc) => { if (dc.msg.amount === BUGGY) throw new Error('bug in a handler'); return purchase.decide(dc); } };
const core = new TransactionCore(ctx, { concurrency: 1, maxBatch: 50 }, new Map([...HANDLERS, ['purchase', buggy]]));
afterAll(() => core.drain());

/** The HTTP front end's handling of one signed message, without a socket. */
function post(body: Record<string, unknown>) {
  const raw = Buffer.from(JSON.stringify(body));
  const ts = String(Math.floor(ctx.clock.now().getTime() / 1000));
  const req = { headers: { 'x-channel-id': 'CH', 'x-timestamp': ts, 'x-signature': signBody(ch.secret, ts, raw) } } as unknown as http.IncomingMessage;
  return postTransaction(ctx, core, req, raw);
}

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
