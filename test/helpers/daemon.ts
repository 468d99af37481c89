import { afterAll, expect } from 'vitest';
import { testContext, type TestContext } from './db.js';
import { seedBasics, type Basics } from './seed.js';
import { createLogger } from '../../src/logger.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addChannel } from '../../src/registry/channels.js';
import { startDaemon, type Daemon } from '../../src/daemon/server.js';
import { signBody } from '../../src/daemon/signature.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';
import { maskPan } from '../../src/cards/luhn.js';
import { pansIn } from './daemon-extra.js';

export interface DaemonFixture {
  ctx: TestContext;
  seed: Basics;
  daemon: Daemon;
  channel: { id: number; code: string; secret: string };
  merchantId: number;
  /** Every line the daemon logged (at debug level) during the file's tests. */
  logs: string[];
  /** Signs (with the test clock) and posts a message; returns status and decoded body. */
  send(body: Record<string, unknown>, opts?: SendOpts): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
  /** Loads value onto a card with a bulk_load entry (as the issuer would). */
  fund(cardId: number, amount: number): Promise<void>;
  balance(cardId: number): Promise<{ balance: number; held: number }>;
}

export interface SendOpts { secret?: string; channel?: string; ts?: string; raw?: string; signature?: string }

/**
 * An in-process daemon on a fresh database with a manual clock: issuer ISS, program SV (BIN
 * 622000) with `cards` active cards, merchant M1 (150 bps) with terminal T1, channel CH for M1
 * (fee 1 fen + 10 bps). All log output goes to `logs`, and is scanned for card numbers after the
 * file's tests.
 */
export async function daemonFixture(opts: {
  cards?: number; batch?: { concurrency?: number; maxBatch?: number; maxQueue?: number };
  /** More registry set-up before the channel is created (e.g. seedPointsDaemon); its merchants go in `channelMerchants`. */
  setup?: (ctx: TestContext) => Promise<unknown>;
  /** Merchant codes the channel may submit for (default M1). */
  channelMerchants?: string[];
  /** A context on another database (test-citus: the cluster or its single-server twin); its logger is replaced. */
  ctx?: TestContext;
} = {}): Promise<DaemonFixture> {
  const logs: string[] = [];
  const logger = createLogger('debug', { write: (s: string) => void logs.push(s) });
  const ctx = opts.ctx ? Object.assign(opts.ctx, { logger }) : await testContext({ logger });
  ctx.config.port = 0;
  const seed = await seedBasics(ctx, opts.cards ?? 3);
  const merchant = await addMerchant(ctx, { code: 'M1', name: 'Merchant one', commissionBps: 150 });
  await addTerminal(ctx, { merchant: 'M1', code: 'T1' });
  if (opts.setup) await opts.setup(ctx);
  const ch = await addChannel(ctx, { code: 'CH', merchants: opts.channelMerchants ?? ['M1'], feeFixed: 1, feeBps: 10 });
  const daemon = await startDaemon(ctx, { batch: opts.batch });
  afterAll(() => daemon.close(2000));
  // Design §5: nothing sensitive in logs. Every file using this fixture has its whole log output
  // scanned; a Luhn-valid 13–19 digit run anywhere fails the file.
  afterAll(() => {
    const found = pansIn(logs);
    if (found.length > 0) throw new Error(`the daemon logged ${found.length} card number(s): ${found.map(maskPan).join(', ')}`);
  });
  const send: DaemonFixture['send'] = async (body, o = {}) => {
    const raw = o.raw ?? JSON.stringify(body);
    const ts = o.ts ?? String(Math.floor(ctx.clock.now().getTime() / 1000));
    const res = await fetch(`${daemon.url}/v1/transactions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', 'x-channel-id': o.channel ?? 'CH', 'x-timestamp': ts,
        'x-signature': o.signature ?? signBody(o.secret ?? ch.secret, ts, raw),
      },
      body: raw,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };
  const fund = async (cardId: number, amount: number) => {
    await withTransaction(ctx.db.pg, async (c) => {
      const d = await openBusinessDate(c, ctx.clock.now(), ctx.calendar);
      await postEntries(c, d, [balancedEntry('bulk_load', [
        { account: account.cardValue(cardId), asset: 'CNY', amount },
        { account: account.issuer(seed.issuerId), asset: 'CNY', amount: -amount },
      ], { occurredAt: ctx.clock.now() })]);
    });
  };
  const balance = async (cardId: number) => {
    const { rows } = await ctx.db.pg.query('select balance, held from card_accounts where card_id = $1 and asset = $2', [cardId, 'CNY']);
    return rows[0] as { balance: number; held: number };
  };
  return { ctx, seed, daemon, channel: { id: ch.id, code: ch.code, secret: ch.secret }, merchantId: merchant.id, logs, send, fund, balance };
}

/** Asserts that no PAN (full digits) appears anywhere in the captured log output. */
export function expectNoPans(logs: readonly string[], pans: readonly string[]): void {
  const all = logs.join('');
  expect(all.length).toBeGreaterThan(0);
  for (const pan of pans) expect(all.includes(pan)).toBe(false);
}
