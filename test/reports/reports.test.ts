import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { daemonFixture } from '../helpers/daemon.js';
import { runCli } from '../helpers/cli.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addChannel } from '../../src/registry/channels.js';
import { feesReport } from '../../src/reports/fees.js';
import { revenueReport } from '../../src/reports/revenue.js';
import { statsReport } from '../../src/reports/stats.js';
import { listTransactions, type TransactionFilterInput } from '../../src/reports/transactions.js';
import { InputError, NotFoundError } from '../../src/errors.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry, type EntryKind, type Posting } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';
import { maskPan } from '../../src/cards/luhn.js';

// One day (2026-03-10, Asia/Shanghai) of traffic on two channels and two merchants, and one
// purchase the day after. Every figure below is worked out by hand from design §4:
//   CH  (1 fen + 10 bps) for M1 (150 bps);  CH2 (2 fen + 20 bps) for M2 (200 bps) and M3.
//   p-1  purchase 10000 at M1: f = r(150)    = 150, c = 1 + r(10)     = 11
//   p-2  purchase  3333 at M1: f = r(49.995) = 50,  c = 1 + r(3.333)  = 4;  voided (v-1): f back, c kept
//   r-1  refund 4000 of p-1:   fx = r(150·4000/10000) = 60 back,  c = 1 + r(4) = 5
//   l-1  load 20000 at M1:     c = 1 + r(20) = 21
//   d-1  purchase above the balance: declined 51, nothing posted
//   -q-1 purchase 7777 at M2:  f = r(155.54) = 156, c = 2 + r(15.554) = 18
//   q-2  purchase 1000 at M2:  f = 20, c = 2 + 2 = 4; reversed (rv-1): f and c back
//   b-1  balance at M3 (no fees)
//   p-3  (2026-03-11) purchase 1000 at M1: f = 15, c = 1 + 1 = 2
//   and on 2026-03-11 a card fee of 500, a dormancy fee of 300 and a lottery goods prize of 250;
//   on 2026-04-01 a card fee of 700 (outside March) and a balance inquiry whose request_id is a PAN.
const f = await daemonFixture({ cards: 4 });
const [c0, c1, c2, c3] = f.seed.cardIds as [number, number, number, number];
const [p0, p1, p2, p3] = f.seed.pans as [string, string, string, string];
await addMerchant(f.ctx, { code: 'M2', name: '=HYPERLINK("http://evil.example")', commissionBps: 200 });
await addTerminal(f.ctx, { merchant: 'M2', code: 'T2' });
await addMerchant(f.ctx, { code: 'M3', name: '@SUM(A1:A9)' });
await addTerminal(f.ctx, { merchant: 'M3', code: 'T3' });
const ch2 = await addChannel(f.ctx, { code: 'CH2', name: '+CH2 net', merchants: ['M2', 'M3'], feeFixed: 2, feeBps: 20 });
const m1 = { merchant: 'M1', terminal: 'T1' };
const m2 = { merchant: 'M2', terminal: 'T2' };
const via2 = { channel: 'CH2', secret: ch2.secret };

async function ok(body: Record<string, unknown>, opts?: { channel: string; secret: string }, code = '00') {
  const r = await f.send(body, opts);
  expect(r.status).toBe(200);
  expect(r.body.response_code).toBe(code);
}

await f.fund(c0, 50_000);
await f.fund(c3, 50_000);
await ok({ ...m1, request_id: 'p-1', type: 'purchase', card: p0, amount: 10_000 });
await ok({ ...m1, request_id: 'p-2', type: 'purchase', card: p0, amount: 3_333 });
await ok({ ...m1, request_id: 'r-1', type: 'refund', original_request_id: 'p-1', amount: 4_000 });
await ok({ ...m1, request_id: 'v-1', type: 'void', original_request_id: 'p-2' });
await ok({ ...m1, request_id: 'l-1', type: 'load', card: p1, amount: 20_000 });
await ok({ ...m1, request_id: 'd-1', type: 'purchase', card: p2, amount: 500 }, undefined, '51');
await ok({ ...m2, request_id: '-q-1', type: 'purchase', card: p3, amount: 7_777 }, via2);
await ok({ ...m2, request_id: 'q-2', type: 'purchase', card: p3, amount: 1_000 }, via2);
await ok({ ...m2, request_id: 'rv-1', type: 'reversal', original_request_id: 'q-2' }, via2);
await ok({ merchant: 'M3', terminal: 'T3', request_id: 'b-1', type: 'balance', card: p3 }, via2);
f.ctx.clock.set('2026-03-11T10:00:00+08:00');
await ok({ ...m1, request_id: 'p-3', type: 'purchase', card: p0, amount: 1_000 });
const post = (kind: EntryKind, legs: Posting[]) => withTransaction(f.ctx.db.pg, async (c) => {
  await postEntries(c, await openBusinessDate(c, f.ctx.clock.now(), f.ctx.calendar), [balancedEntry(kind, legs, { occurredAt: f.ctx.clock.now() })]);
});
await post('card_fee', [{ account: account.issuer(f.seed.issuerId), asset: 'CNY', amount: -500 }, { account: account.revenue('card_fees'), asset: 'CNY', amount: 500 }]);
await post('dormancy_fee', [{ account: account.cardValue(c1), asset: 'CNY', amount: -300 }, { account: account.revenue('dormancy_fees'), asset: 'CNY', amount: 300 }]);
await post('lottery_prize', [{ account: account.merchant(f.merchantId), asset: 'CNY', amount: 250 }, { account: account.revenue('lottery'), asset: 'CNY', amount: -250 }]);
f.ctx.clock.set('2026-04-01T10:00:00+08:00');
await post('card_fee', [{ account: account.issuer(f.seed.issuerId), asset: 'CNY', amount: -700 }, { account: account.revenue('card_fees'), asset: 'CNY', amount: 700 }]);
// A careless channel uses the card number as its request_id: the reports show only its mask.
await ok({ ...m1, request_id: p1, type: 'balance', card: p1 });
const pinId = maskPan(p1);

const csv = (text: string) => parse(text, { columns: true }) as Record<string, string>[];
const ids = async (filter: TransactionFilterInput) => (await listTransactions(f.ctx, filter)).map((t) => t.request_id).sort();

describe('report fees', () => {
  it('gives each merchant its commission and each channel its fees per business date, charged and given back', async () => {
    const r = await feesReport(f.ctx, { from: '2026-03-10', to: '2026-03-11' });
    const line = (business_date: string, party_type: string, party: string, party_name: string, n: number[]) => ({
      business_date, party_type, party, party_name, currency: 'CNY',
      charged_count: n[0], charged_amount: n[1], returned_count: n[2], returned_amount: n[3], net_amount: n[4],
    });
    expect(r.rows).toEqual([
      line('2026-03-10', 'merchant', 'M1', 'Merchant one', [2, 150 + 50, 2, 60 + 50, 90]),
      line('2026-03-10', 'merchant', 'M2', '=HYPERLINK("http://evil.example")', [2, 156 + 20, 1, 20, 156]),
      line('2026-03-10', 'channel', 'CH', 'CH', [4, 11 + 4 + 5 + 21, 0, 0, 41]),
      line('2026-03-10', 'channel', 'CH2', '+CH2 net', [2, 18 + 4, 1, 4, 18]),
      line('2026-03-11', 'merchant', 'M1', 'Merchant one', [1, 15, 0, 0, 15]),
      line('2026-03-11', 'channel', 'CH', 'CH', [1, 2, 0, 0, 2]),
    ]);
    expect(r.totals).toEqual([
      { party_type: 'merchant', currency: 'CNY', net_amount: 90 + 156 + 15 },
      { party_type: 'channel', currency: 'CNY', net_amount: 41 + 18 + 2 },
    ]);
    expect((await feesReport(f.ctx, { from: '2026-03-11', to: '2026-03-11' })).rows).toHaveLength(2);
  });

  it('names the option on a bad date or range', async () => {
    await expect(feesReport(f.ctx, { from: '2026-02-30', to: '2026-03-11' })).rejects.toMatchObject({ field: '--from', code: 'invalid_option' });
    await expect(feesReport(f.ctx, { from: '2026-03-12', to: '2026-03-11' })).rejects.toBeInstanceOf(InputError);
    await expect(feesReport(f.ctx, { from: '2026-03-10', to: 'tomorrow' })).rejects.toMatchObject({ field: '--to' });
  });
});

describe('report revenue', () => {
  it('gives revenue by kind for each business date of the month, channel fees as a negative cost', async () => {
    const r = await revenueReport(f.ctx, { month: '2026-03' });
    const zero = { card_fees: 0, dormancy_fees: 0, breakage: 0, points_spread: 0, points_breakage: 0, lottery: 0 };
    expect(r.rows).toEqual([
      { business_date: '2026-03-10', currency: 'CNY', ...zero, merchant_commission: 90 + 156, channel_fees: -(41 + 18), total: 246 - 59 },
      { business_date: '2026-03-11', currency: 'CNY', ...zero, merchant_commission: 15, channel_fees: -2, card_fees: 500, dormancy_fees: 300, lottery: -250, total: 563 },
    ]);
    expect(r.totals).toEqual([{ currency: 'CNY', ...zero, merchant_commission: 261, channel_fees: -61, card_fees: 500, dormancy_fees: 300, lottery: -250, total: 750 }]);
    expect(r).toMatchObject({ month: '2026-03', from: '2026-03-01', to: '2026-03-31' });
    expect((await revenueReport(f.ctx, { month: '2026-02' })).rows).toEqual([]);
    expect((await revenueReport(f.ctx, { month: '2026-04' })).rows).toEqual([{ business_date: '2026-04-01', currency: 'CNY', ...zero, merchant_commission: 0, channel_fees: 0, card_fees: 700, total: 700 }]);
  });

  it('names --month when it is not YYYY-MM', async () => {
    await expect(revenueReport(f.ctx, { month: '2026-13' })).rejects.toMatchObject({ field: '--month' });
    await expect(revenueReport(f.ctx, { month: '2026-3' })).rejects.toBeInstanceOf(InputError);
  });
});

describe('report transactions', () => {
  it('filters by card, merchant, terminal, channel, type and business dates, each alone and together', async () => {
    expect(await ids({})).toEqual(['-q-1', 'b-1', 'd-1', 'l-1', 'p-1', 'p-2', 'p-3', 'q-2', 'r-1', 'rv-1', 'v-1', pinId].sort());
    expect(await ids({ cardId: String(c0) })).toEqual(['p-1', 'p-2', 'p-3', 'r-1', 'v-1']);
    expect(await ids({ cardId: String(c1) })).toEqual(['l-1', pinId].sort());
    const last4 = p2.slice(-4);
    const sameLast4 = [[p0, ['p-1', 'p-2', 'p-3', 'r-1', 'v-1']], [p1, ['l-1', pinId]], [p2, ['d-1']], [p3, ['-q-1', 'b-1', 'q-2', 'rv-1']]] as const;
    expect(await ids({ cardLast4: last4 })).toEqual(sameLast4.filter(([pan]) => pan.endsWith(last4)).flatMap(([, r]) => r).sort());
    expect(await ids({ merchant: 'M2' })).toEqual(['-q-1', 'q-2', 'rv-1']);
    expect(await ids({ terminal: 'T3' })).toEqual(['b-1']);
    expect(await ids({ channel: 'CH2' })).toEqual(['-q-1', 'b-1', 'q-2', 'rv-1']);
    expect(await ids({ type: 'purchase' })).toEqual(['-q-1', 'd-1', 'p-1', 'p-2', 'p-3', 'q-2']);
    expect(await ids({ from: '2026-03-11' })).toEqual(['p-3', pinId].sort());
    expect(await ids({ from: '2026-03-11', to: '2026-03-31' })).toEqual(['p-3']);
    expect(await ids({ to: '2026-03-10', type: 'purchase', merchant: 'M1' })).toEqual(['d-1', 'p-1', 'p-2']);
    expect(await ids({ cardId: String(c2), type: 'refund' })).toEqual([]);
  });

  it('shows a transaction with its status, amounts, fees and the card by id and last 4 only', async () => {
    const [p2row] = await listTransactions(f.ctx, { merchant: 'M1', type: 'purchase', from: '2026-03-10', to: '2026-03-10', cardId: String(c0) })
      .then((rows) => rows.filter((r) => r.request_id === 'p-2'));
    expect(p2row).toMatchObject({
      business_date: '2026-03-10', channel: 'CH', type: 'purchase', status: 'voided', approved: true, response_code: '00',
      card_id: c0, card_last4: p0.slice(-4), merchant: 'M1', merchant_name: 'Merchant one', terminal: 'T1', asset: 'CNY',
      amount_requested: 3_333, amount_approved: 3_333, commission: 50, channel_fee: 4, refunded_amount: 0,
    });
    expect(p2row!.occurred_at).toBe('2026-03-10T02:00:00.000Z');
    const refund = (await listTransactions(f.ctx, { type: 'refund' }))[0]!;
    expect(refund).toMatchObject({ request_id: 'r-1', amount_approved: 4_000, commission: 60, channel_fee: 5 });
    const all = JSON.stringify(await listTransactions(f.ctx, {}));
    for (const pan of f.seed.pans) expect(all.includes(pan)).toBe(false);
  });

  it('names the option on a bad filter and refuses an unknown code', async () => {
    const bad = (filter: TransactionFilterInput) => listTransactions(f.ctx, filter);
    await expect(bad({ cardLast4: '12a4' })).rejects.toMatchObject({ field: '--card-last4' });
    await expect(bad({ cardId: '0' })).rejects.toMatchObject({ field: '--card-id' });
    await expect(bad({ cardId: '1', cardLast4: '1234' })).rejects.toBeInstanceOf(InputError);
    await expect(bad({ type: 'purchases' })).rejects.toMatchObject({ field: '--type' });
    await expect(bad({ merchant: 'NOPE' })).rejects.toEqual(expect.any(NotFoundError));
    await expect(bad({ merchant: 'NOPE' })).rejects.toMatchObject({ field: '--merchant' });
    await expect(bad({ terminal: 'T9' })).rejects.toMatchObject({ field: '--terminal' });
    await expect(bad({ channel: '=x' })).rejects.toMatchObject({ field: '--channel' });
    await expect(bad({ from: '2026-03-11', to: '2026-03-10' })).rejects.toMatchObject({ field: '--from' });
  });
});

describe('report stats', () => {
  it('counts and sums by business date, type and merchant', async () => {
    const r = await statsReport(f.ctx, { from: '2026-03-10', to: '2026-03-11' });
    const row = (business_date: string, type: string, merchant: string, n: number[]) => ({
      business_date, type, merchant, asset: 'CNY',
      count: n[0], approved_count: n[1], approved_amount: n[2], declined_count: n[3], undone_count: n[4], undone_amount: n[5],
    });
    expect(r.rows).toEqual([
      row('2026-03-10', 'balance', 'M3', [1, 1, 0, 0, 0, 0]),
      row('2026-03-10', 'load', 'M1', [1, 1, 20_000, 0, 0, 0]),
      row('2026-03-10', 'purchase', 'M1', [3, 2, 13_333, 1, 1, 3_333]),
      row('2026-03-10', 'purchase', 'M2', [2, 2, 8_777, 0, 1, 1_000]),
      row('2026-03-10', 'refund', 'M1', [1, 1, 4_000, 0, 0, 0]),
      row('2026-03-10', 'reversal', 'M2', [1, 1, 1_000, 0, 0, 0]),
      row('2026-03-10', 'void', 'M1', [1, 1, 3_333, 0, 0, 0]),
      row('2026-03-11', 'purchase', 'M1', [1, 1, 1_000, 0, 0, 0]),
    ]);
    expect(r.days).toEqual([
      { business_date: '2026-03-10', count: 10, approved_count: 9, declined_count: 1 },
      { business_date: '2026-03-11', count: 1, approved_count: 1, declined_count: 0 },
    ]);
    expect((await statsReport(f.ctx, { from: '2026-03-11' })).rows).toHaveLength(2);
    await expect(statsReport(f.ctx, { to: '10/03/2026' })).rejects.toMatchObject({ field: '--to' });
  });
});

describe('purse report through the CLI', () => {
  it('exports spreadsheet-safe CSV: = + - @ cells neutralised, signed amounts stay numbers, never a PAN', async () => {
    const all = await runCli(['report', 'transactions'], f.ctx.env);
    expect(all.code).toBe(0);
    for (const pan of f.seed.pans) expect(all.stdout.includes(pan)).toBe(false);
    expect(csv(all.stdout).map((r) => r.request_id)).toContain(pinId);
    // Times in the business timezone with offset (design §6b), the same instants as the JSON's.
    for (const r of csv(all.stdout)) expect(r.occurred_at).toMatch(/^2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/);
    const tx = await runCli(['report', 'transactions', '--channel', 'CH2'], f.ctx.env);
    expect(tx.code).toBe(0);
    const rows = csv(tx.stdout);
    expect(rows.map((r) => r.request_id)).toEqual(["'-q-1", 'q-2', 'rv-1', 'b-1']);
    expect(rows[0]).toMatchObject({ merchant_name: `'=HYPERLINK("http://evil.example")`, amount_approved: '7777', card_last4: p3.slice(-4), card_id: String(c3) });
    expect(rows[3]).toMatchObject({ merchant: 'M3', merchant_name: "'@SUM(A1:A9)" });

    const fees = await runCli(['report', 'fees', '--from', '2026-03-10', '--to', '2026-03-10'], f.ctx.env);
    expect(fees.code).toBe(0);
    expect(fees.stdout.split('\n')[0]).toBe('business_date,party_type,party,party_name,currency,charged_count,charged_amount,returned_count,returned_amount,net_amount');
    expect(csv(fees.stdout).find((r) => r.party === 'CH2')).toMatchObject({ party_name: "'+CH2 net", net_amount: '18' });

    const rev = await runCli(['report', 'revenue', '--month', '2026-03'], f.ctx.env);
    expect(rev.code).toBe(0);
    expect(rev.stdout.split('\n').slice(1)).toEqual(['2026-03-10,CNY,246,-59,0,0,0,0,0,0,187', '2026-03-11,CNY,15,-2,500,300,0,0,0,-250,563', '']);
  });

  it('prints JSON with --json and exits 1 naming the option on bad input', async () => {
    const tx = await runCli(['report', 'transactions', '--merchant', 'M1', '--type', 'refund', '--json'], f.ctx.env);
    expect(tx.code).toBe(0);
    expect((JSON.parse(tx.stdout) as { request_id: string }[]).map((t) => t.request_id)).toEqual(['r-1']);
    const none = await runCli(['report', 'transactions', '--card-id', '999999', '--json'], f.ctx.env);
    expect(JSON.parse(none.stdout)).toEqual([]);
    const stats = await runCli(['report', 'stats', '--from', '2026-03-11', '--json'], f.ctx.env);
    expect(JSON.parse(stats.stdout).rows).toHaveLength(2);
    const bad = await runCli(['report', 'transactions', '--card-last4', '12'], f.ctx.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--card-last4');
    expect(bad.stdout).toBe('');
    const month = await runCli(['report', 'revenue', '--month', 'March'], f.ctx.env);
    expect(month.code).toBe(1);
    expect(month.stderr).toContain('--month');
    expect((await runCli(['report', 'fees', '--from', '2026-03-10'], f.ctx.env)).code).toBe(2);
  });
});
