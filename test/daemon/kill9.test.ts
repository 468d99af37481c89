import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { fundCards, seedBasics } from '../helpers/seed.js';
import { BIN } from '../helpers/cli.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addChannel } from '../../src/registry/channels.js';
import { sendTransaction } from '../../src/daemon/client.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// The daemon runs as a real `purse serve` process (system clock) against this file's database.
const ctx = await testContext({ now: new Date().toISOString() });
const seed = await seedBasics(ctx, 20);
await addMerchant(ctx, { code: 'M1', name: 'Merchant one', commissionBps: 150 });
await addTerminal(ctx, { merchant: 'M1', code: 'T1' });
const channel = await addChannel(ctx, { code: 'CH', merchants: ['M1'], feeFixed: 1, feeBps: 10 });
const FUNDED = 100_000;
await fundCards(ctx, seed, FUNDED);

const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

/** Starts `purse serve --port 0`; resolves with the child and its URL once it listens. */
function startServe(): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { env: { ...ctx.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
      const m = /listening on (\S+)/.exec(err);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`purse serve exited ${code}: ${err}`)));
  });
}

interface Sent { body: Record<string, unknown>; answer?: Record<string, unknown> }

describe('kill -9 of the daemon during a stream of purchases', () => {
  it('after restart every approved purchase is in the ledger, nothing is partial, and retries apply nothing twice', async () => {
    const first = await startServe();
    const sent: Sent[] = [];
    let n = 0;
    let killed = false;
    // 8 concurrent senders, each a stream of 10-fen purchases over the 20 cards, until the kill.
    const sender = async () => {
      while (!killed) {
        const i = n++;
        const s: Sent = { body: { request_id: `k9-${i}`, type: 'purchase', card: seed.pans[i % seed.pans.length], amount: 10 + (i % 7), merchant: 'M1', terminal: 'T1' } };
        sent.push(s);
        try {
          const res = await sendTransaction({ url: first.url, channel: 'CH', secret: channel.secret, body: s.body });
          if (res.status === 200) s.answer = res.body as Record<string, unknown>;
        } catch {
          // the daemon died under this request: its outcome is unknown to the sender
        }
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    while (sent.filter((s) => s.answer?.approved).length < 200) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGKILL');
    killed = true;
    await Promise.all(senders);
    const approvedBefore = sent.filter((s) => s.answer?.approved);
    expect(approvedBefore.length).toBeGreaterThanOrEqual(200);

    // Every approved answer's effect is committed: its transaction row, its one balanced entry.
    const { rows } = await ctx.db.pg.query<{ request_id: string; approved: boolean; entry_id: string | null; legs: number }>(`
      select t.request_id, t.approved, t.entry_id, (select count(*)::int from postings p where p.entry_id = t.entry_id) as legs
      from transactions t where t.request_id like 'k9-%'`);
    const byId = new Map(rows.map((r) => [r.request_id, r]));
    for (const s of approvedBefore) {
      const row = byId.get(s.body.request_id as string);
      expect(row?.approved).toBe(true);
      expect(row?.entry_id).not.toBeNull();
      expect(row?.legs).toBe(4); // card, merchant, commission, channel fee
    }
    expect(rows.every((r) => r.approved === (r.entry_id !== null))).toBe(true);

    // After a restart the channel retries everything it sent: stored answers come back verbatim,
    // unanswered ones are processed once.
    const second = await startServe();
    for (const s of sent) {
      const res = await sendTransaction({ url: second.url, channel: 'CH', secret: channel.secret, body: s.body });
      expect(res.status).toBe(200);
      if (s.answer) expect(res.body).toEqual(s.answer);
      s.answer = res.body as Record<string, unknown>;
    }
    const spent = sent.filter((s) => s.answer!.approved).reduce((sum, s) => sum + Number(s.answer!.amount_approved), 0);
    const { rows: bal } = await ctx.db.pg.query<{ total: string }>(
      `select sum(balance)::bigint as total from card_accounts where asset = 'CNY' and card_id = any($1)`, [seed.cardIds]);
    expect(Number(bal[0]!.total)).toBe(FUNDED * seed.cardIds.length - spent);
    const { rows: count } = await ctx.db.pg.query<{ n: number }>(`select count(*)::int as n from transactions where request_id like 'k9-%'`);
    expect(count[0]!.n).toBe(sent.length);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
    second.child.kill('SIGTERM');
  });
});
