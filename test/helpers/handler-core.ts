import type http from 'node:http';
import { afterAll } from 'vitest';
import { testContext, type TestContext } from './db.js';
import { seedBasics } from './seed.js';
import type { Logger } from '../../src/logger.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addChannel } from '../../src/registry/channels.js';
import { TransactionCore } from '../../src/daemon/core.js';
import { HANDLERS } from '../../src/daemon/handlers/index.js';
import type { Handler } from '../../src/daemon/handlers/types.js';
import { postTransaction, type Answer } from '../../src/daemon/http-transactions.js';
import { signBody } from '../../src/daemon/signature.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';

/**
 * A transaction core (one batch at a time) whose handlers are the registry's with `overrides`, on
 * a test database with one card holding 10,000 fen, merchant M1 with terminal T1 and channel CH;
 * `post` hands a signed message to the HTTP front end without a socket.
 */
export async function handlerCore(overrides: Record<string, Handler>, opts: { logger?: Logger } = {}) {
  const ctx: TestContext = await testContext(opts.logger ? { logger: opts.logger } : {});
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
  const core = new TransactionCore(ctx, { concurrency: 1, maxBatch: 50 }, new Map([...HANDLERS, ...Object.entries(overrides)]));
  afterAll(() => core.drain());
  const post = (body: Record<string, unknown>): Promise<Answer> => {
    const raw = Buffer.from(JSON.stringify(body));
    const ts = String(Math.floor(ctx.clock.now().getTime() / 1000));
    const req = { headers: { 'x-channel-id': 'CH', 'x-timestamp': ts, 'x-signature': signBody(ch.secret, ts, raw) } } as unknown as http.IncomingMessage;
    return postTransaction(ctx, core, req, raw);
  };
  return { ctx, seed, core, post };
}
