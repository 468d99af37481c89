import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterContext, clusterDatabase } from './helpers/db.js';
import { isoFixture, type IsoFixture } from '../test/helpers/iso.js';
import { text, type IsoMessage } from '../src/iso/codec.js';
import { listPosBatches } from '../src/iso/batches.js';
import { settleBusinessDate } from '../src/settlement/settle.js';
import { expectSameOutputs, expectVerified, type Outputs } from './helpers/compare.js';

const D = '2026-03-10';

/**
 * A POS terminal's day over ISO 8583 (design §5b) on one database: sign-on, balance, purchases, a
 * void, a reversal, a reversed void, a load, a pre-authorization and its completion, a refund, repeats, the batch
 * settlement (0500) and a batch upload, then the pos-batches report and the day's settlement files.
 * Recorded per message: the response code and, where they carry the outcome, DE48 and DE54.
 */
async function runTerminal(citus: boolean): Promise<{ out: Outputs; f: IsoFixture }> {
  const ctx = await clusterContext(await clusterDatabase({ citus }), { now: `${D}T10:00:00+08:00` });
  const f = await isoFixture({ cards: 2, ctx });
  const [c0, c1] = f.seed.cardIds as [number, number];
  const [p0, p1] = f.seed.pans as [string, string];
  await f.fund(c0, 50_000);
  await f.fund(c1, 50_000);
  const t = await f.terminal();
  const out: Outputs = {};
  const record = (name: string, a: IsoMessage) => void (out[name] = JSON.stringify([a.mti, text(a, 39) ?? null, text(a, 48) ?? null, text(a, 54) ?? null]));
  const send = async (name: string, m: IsoMessage, opts?: { mac?: boolean }) => {
    const a = await t.send(m, opts);
    record(name, a);
    return a;
  };
  const stanOf = (m: IsoMessage) => Number(text(m, 11));

  record('sign-on', await t.signOn());
  await send('balance', t.request('balance', { card: p0 }));
  const first = t.request('purchase', { card: p0, amount: 10_000 });
  const a = await send('purchase', first);
  await send('purchase repeated', first);
  const voided = t.request('purchase', { card: p0, amount: 20_000 });
  await send('purchase to void', voided);
  await send('void', t.request('void', { card: p0, amount: 20_000, originalStan: stanOf(voided) }));
  const reversed = t.request('purchase', { card: p1, amount: 5_000 });
  await send('purchase to reverse', reversed);
  await send('reversal', t.reversalOf(reversed));
  await send('reversal repeated', t.reversalOf(reversed));
  await send('load', t.request('load', { card: p1, amount: 3_000 }));
  const pa = t.request('preauth', { card: p1, amount: 4_000 });
  await send('preauth', pa);
  await send('completion', t.request('completion', { card: p1, amount: 4_000, originalStan: stanOf(pa) }));
  await send('refund', t.request('refund', { card: p0, amount: 1_000, originalStan: stanOf(first), rrn: text(a, 37) }));
  await send('too much', t.request('purchase', { card: p1, amount: 900_000 }));
  await send('settlement', t.settlement(17_000, 3, 1_000, 1), { mac: false });
  t.batch = 2;
  await send('purchase in batch 2', t.request('purchase', { card: p0, amount: 2_500 }));
  const kept = t.request('purchase', { card: p0, amount: 1_500 });
  await send('purchase kept', kept);
  const unvoided = t.request('void', { card: p0, amount: 1_500, originalStan: stanOf(kept) });
  await send('void to reverse', unvoided);
  await send('void reversed', t.reversalOf(unvoided));
  const up = t.upload(`01${'0'.repeat(40)}`);
  up.fields.set(60, '00000002201');
  await send('upload', up);
  await send('upload repeated', up);
  out['pos batches'] = JSON.stringify((await listPosBatches(f.ctx, D)).map((b) => [b.batch, b.debit_amount, b.debit_count, b.credit_amount, b.credit_count, b.balanced]));
  f.ctx.clock.set('2026-03-11T00:05:00+08:00');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-citus-iso-'));
  await settleBusinessDate(f.ctx, { date: D, out: dir });
  for (const name of fs.readdirSync(dir).sort()) out[`file ${name}`] = fs.readFileSync(path.join(dir, name), 'utf8');
  return { out, f };
}

describe('a POS terminal over ISO 8583 on a single server and on the cluster', () => {
  let single: { out: Outputs; f: IsoFixture };
  let cluster: { out: Outputs; f: IsoFixture };
  beforeAll(async () => {
    single = await runTerminal(false);
    cluster = await runTerminal(true);
  });

  it('the day exercised what it names', () => {
    const code = (name: string) => (JSON.parse(single.out[name]!) as (string | null)[])[1];
    for (const name of ['purchase', 'purchase repeated', 'void', 'reversal', 'reversal repeated', 'load', 'completion', 'refund', 'upload', 'void reversed']) expect([name, code(name)]).toEqual([name, '00']);
    expect(code('too much')).toBe('51');
    expect(JSON.parse(single.out['pos batches']!)[0]).toEqual([1, 17_000, 3, 1_000, 1, true]);
    expect(Object.keys(single.out).filter((k) => k.startsWith('file ')).length).toBeGreaterThan(0);
  });

  it('answers every message and writes every file the same', () => {
    expectSameOutputs(single.out, cluster.out);
  });

  it('ledger verify is clean on both', async () => {
    await expectVerified(single.f.ctx.db.pg, cluster.f.ctx.db.pg);
  });
});
