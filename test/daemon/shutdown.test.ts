import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { fundCards, seedBasics } from '../helpers/seed.js';
import { BIN } from '../helpers/cli.js';
import { pansIn } from '../helpers/daemon-extra.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addChannel } from '../../src/registry/channels.js';
import { sendTransaction } from '../../src/daemon/client.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// `purse serve` runs as a real child process (system clock) against this file's database.
const ctx = await testContext({ now: new Date().toISOString() });
const seed = await seedBasics(ctx, 2);
await addMerchant(ctx, { code: 'M1', commissionBps: 150 });
await addTerminal(ctx, { merchant: 'M1', code: 'T1' });
const channel = await addChannel(ctx, { code: 'CH', merchants: ['M1'] });
await fundCards(ctx, seed, 10_000);

interface Serve { child: ChildProcess; url: string; stderr: () => string; exited: Promise<number | null> }
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

/** Starts `purse serve --port 0 --no-scheduler …`; resolves once it listens. */
function startServe(extra: string[] = []): Promise<Serve> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-scheduler', ...extra], {
      env: { ...ctx.env, LOG_LEVEL: 'debug' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let err = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
      const m = /listening on (\S+)/.exec(err);
      if (m) resolve({ child, url: m[1]!, stderr: () => err, exited });
    });
    void exited.then((code) => reject(new Error(`purse serve exited ${code}: ${err}`)));
  });
}

/**
 * Locks card `cardId` in an open transaction of the test's own, so a purchase on it stays in
 * flight (its batch waits on the row lock) until `release()`.
 */
async function lockCard(cardId: number) {
  const client = new pg.Client({ connectionString: ctx.url });
  await client.connect();
  await client.query('begin');
  await client.query('select id from cards where id = $1 for update', [cardId]);
  return {
    async release() {
      await client.query('commit');
      await client.end();
    },
  };
}

/** Waits until a daemon backend waits on a row lock: the message is in flight inside its batch. */
async function untilBlocked(): Promise<void> {
  for (;;) {
    const { rows } = await ctx.db.pg.query(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'purse' and wait_event_type = 'Lock' and pid <> pg_backend_pid()`);
    if (rows[0].n > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves once connecting to `url` is refused: the daemon stopped accepting. */
async function untilRefused(url: string): Promise<void> {
  for (;;) {
    try {
      await fetch(`${url}/healthz`, { headers: { connection: 'close' } });
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const buy = (id: string, card: string) => ({ request_id: id, type: 'purchase', card, amount: 700, merchant: 'M1', terminal: 'T1' });

describe('graceful shutdown of purse serve', () => {
  it('on SIGTERM stops accepting, finishes the in-flight request and exits 0', async () => {
    const serve = await startServe();
    const lock = await lockCard(seed.cardIds[0]!);
    const inFlight = sendTransaction({ url: serve.url, channel: 'CH', secret: channel.secret, body: buy('s-1', seed.pans[0]!) });
    await untilBlocked();
    serve.child.kill('SIGTERM');
    await untilRefused(serve.url);
    expect(serve.child.exitCode).toBeNull(); // still draining
    await lock.release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ request_id: 's-1', approved: true, response_code: '00' });
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).toMatch(/"msg":"stopped"/);
    const { rows } = await ctx.db.pg.query(`select approved, entry_id from transactions where request_id = 's-1'`);
    expect(rows).toEqual([{ approved: true, entry_id: expect.any(Number) }]);
    expect(pansIn([serve.stderr()])).toEqual([]);
  });

  it('exits 75 at the deadline when work is stuck; the abandoned message left nothing and a retry is processed once', async () => {
    const serve = await startServe(['--shutdown-timeout', '1']);
    const lock = await lockCard(seed.cardIds[1]!);
    const inFlight = sendTransaction({ url: serve.url, channel: 'CH', secret: channel.secret, body: buy('s-2', seed.pans[1]!) }).catch((err: unknown) => err);
    await untilBlocked();
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(75);
    expect(serve.stderr()).toMatch(/shutdown deadline passed/);
    expect(await inFlight).toBeInstanceOf(Error); // the channel got no answer
    await lock.release();
    const { rows } = await ctx.db.pg.query(`select count(*)::int as n from transactions where request_id = 's-2'`);
    expect(rows[0].n).toBe(0);
    const again = await startServe();
    const retry = await sendTransaction({ url: again.url, channel: 'CH', secret: channel.secret, body: buy('s-2', seed.pans[1]!) });
    expect(retry.body).toMatchObject({ approved: true, response_code: '00', balance: { ledger: 9_300 } });
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });
});
