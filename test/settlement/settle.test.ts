import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { runPoints } from '../helpers/points.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addChannel, allowMerchants } from '../../src/registry/channels.js';
import { addScheme } from '../../src/registry/schemes.js';
import { addProgram } from '../../src/registry/programs.js';
import { createCard } from '../../src/cards/cards.js';
import { withTransaction } from '../../src/db/tx.js';
import { localDate } from '../../src/ledger/calendar.js';
import { prepareEarn, preparePointsLoad } from '../../src/points/earn.js';
import { lotteryPrizeEntry } from '../../src/points/entries.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';
import { prepareRedeem } from '../../src/points/redeem.js';
import { preparePointsReversal } from '../../src/points/reversal.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { settleBusinessDate } from '../../src/settlement/settle.js';
import { InputError } from '../../src/errors.js';

// Business dates in Asia/Shanghai with the default 00:00 cut-off and 5 minutes' grace.
const D = '2026-03-10';
const f = await daemonFixture({ cards: 4 });
const { ctx } = f;
const [c0, c1, c2] = f.seed.pans as [string, string, string, string];
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-settle-'));

// A second merchant (commission 200 bps, earns LOY at 2 points per 100 fen; a name a spreadsheet
// would run as a formula, with a comma) and a second channel (2 fen fixed, no bps).
await addScheme(ctx, { code: 'LOY', issuePrice: '1.2345', redemptionValue: '0.9876', salePrice: '1.1111' });
const m2 = await addMerchant(ctx, { code: 'M2', name: '=Two, Ltd', commissionBps: 200, earnScheme: 'LOY', earnRate: 2 });
await addTerminal(ctx, { merchant: 'M2', code: 'T2' });
const ch2 = await addChannel(ctx, { code: 'CH2', merchants: ['M1', 'M2'], feeFixed: 2, feeBps: 0 });
await allowMerchants(ctx, 'CH', ['M1']);
const combo = await addProgram(ctx, { code: 'CP', issuer: 'ISS', bin: '623000', kind: 'combo', named: true, scheme: 'LOY', activateOnIssue: true });
const pointsCard = await withTransaction(ctx.db.pg, (c) => createCard(c, ctx.keys, combo, {
  issuedAt: ctx.clock.now(), issuedOn: localDate(ctx.clock.now(), ctx.calendar.timezone),
}));

const M1 = { merchant: 'M1', terminal: 'T1' };
const viaCh2 = { channel: 'CH2', secret: ch2.secret };

async function ok(body: Record<string, unknown>, opts?: { channel: string; secret: string }): Promise<void> {
  const r = await f.send(body, opts);
  expect(r.body.response_code, JSON.stringify(r.body)).toBe('00');
}

const earn = (amount: number, channelId: number, transactionId: number) => runPoints(ctx, (db) => prepareEarn(ctx, db, {
  cardId: pointsCard.id, merchantId: m2.id, at: ctx.clock.now(), amount, channelId, transactionId,
}));

async function entries(): Promise<number> {
  return (await ctx.db.pg.query('select count(*)::int as n from entries')).rows[0].n;
}

const read = (file: string) => fs.readFileSync(path.join(out, file), 'utf8');

describe('settle a business date', () => {
  it('settles a day of purchases, refunds, voids, reversals, loads and points across two merchants and channels to hand-computed files', async () => {
    await f.fund(f.seed.cardIds[0]!, 50_000);
    await f.fund(f.seed.cardIds[1]!, 30_000);
    await f.fund(f.seed.cardIds[2]!, 10_000);
    // CH (1 fen + 10 bps), M1 (150 bps)
    await ok({ ...M1, request_id: 'P1', type: 'purchase', card: c0, amount: 10_000 }); // f 150, fee 11
    await ok({ ...M1, request_id: 'R1', type: 'refund', original_request_id: 'P1', amount: 3_333 }); // fx r(49.995) = 50, fee 4
    await ok({ ...M1, request_id: 'P2', type: 'purchase', card: c0, amount: 2_000 }); // f 30, fee 3 (kept by the void)
    await ok({ ...M1, request_id: 'V2', type: 'void', original_request_id: 'P2' });
    await ok({ ...M1, request_id: 'L1', type: 'load', card: c1, amount: 5_000 }); // fee 6
    // CH2 (2 fen): M1 reversal, M2 (200 bps) purchase, refund, voided refund
    await ok({ ...M1, request_id: 'P3', type: 'purchase', card: c1, amount: 4_321 }, viaCh2); // f 65, fee 2
    await ok({ ...M1, request_id: 'RV3', type: 'reversal', original_request_id: 'P3' }, viaCh2); // fee returned
    await ok({ merchant: 'M2', terminal: 'T2', request_id: 'P4', type: 'purchase', card: c2, amount: 7_777 }, viaCh2); // f r(155.54) = 156
    await ok({ merchant: 'M2', terminal: 'T2', request_id: 'R4', type: 'refund', original_request_id: 'P4', amount: 1_001 }, viaCh2); // fx r(20.08) = 20
    await ok({ merchant: 'M2', terminal: 'T2', request_id: 'R4b', type: 'refund', original_request_id: 'P4', amount: 500 }, viaCh2); // fx 30 - 20 = 10
    await ok({ merchant: 'M2', terminal: 'T2', request_id: 'V4b', type: 'void', original_request_id: 'R4b' }, viaCh2);
    // Points at M2, LOY: issue 1.2345, value 0.9876 fen a point.
    await earn(12_345, ch2.id, 9001); // 246 points: funding r(303.687) = 304, float r(242.9496) = 243
    await runPoints(ctx, (db) => prepareRedeem(db, { cardId: pointsCard.id, merchantId: m2.id, at: ctx.clock.now(), points: 100, channelId: f.channel.id })); // 99
    await earn(5_000, ch2.id, 9002); // 100 points: funding 123, float 99 ...
    await runPoints(ctx, (db) => preparePointsReversal(db, { originalTransactionId: 9002, mode: 'void', at: ctx.clock.now(), channelId: ch2.id })); // ... clawed back whole
    await earn(1_950, ch2.id, 9003); // 39 points: funding r(48.1455) = 48, float r(38.5164) = 39
    await earn(1_950, ch2.id, 9004); // 39 points again
    // LOY: outstanding 246 - 100 + 78 = 224, float 243 - 99 + 78 = 222; r(224 × 0.9876) = r(221.22) = 221: revalue by -1.

    await expect(settleBusinessDate(ctx, { date: D, out })).rejects.toThrow(/cannot be settled before 2026-03-10T16:05:00.000Z/);
    ctx.clock.set('2026-03-11T00:05:00+08:00');
    const before = await entries();
    const r = await settleBusinessDate(ctx, { date: D, out });
    expect(r).toMatchObject({ business_date: D, posted: true, balanced: true, asset_totals: { CNY: 0, 'PTS:LOY': 0 }, entries: { settlement: 5, revaluation: 1 } });
    expect(await entries()).toBe(before + 6);

    expect(read(`merchants-${D}.csv`)).toBe([
      'business_date,merchant,merchant_name,currency,purchase_count,purchase_amount,refund_count,refund_amount,load_count,load_amount,commission,points_funding,points_redemption_amount,points_sales_amount,prize_amount,net_amount',
      // 10000 - 3333 - 100 - 5000 = 1567
      `${D},M1,Merchant one,CNY,1,10000,1,3333,1,5000,100,0,0,0,0,1567`,
      // 7777 - 1001 - (156 - 20) - (304 + 48 + 48) + 99 = 6339
      `${D},M2,"'=Two, Ltd",CNY,1,7777,1,1001,0,0,136,400,99,0,0,6339`,
      '',
    ].join('\n'));
    expect(read(`merchant-points-${D}.csv`)).toBe([
      'business_date,merchant,scheme,points_issued,points_funding,points_redeemed,points_redemption_amount,points_sold,points_sales_amount',
      `${D},M2,LOY,324,400,100,99,0,0`,
      '',
    ].join('\n'));
    // CH: P1, R1, P2 (voided: counted, fee kept), L1, the redemption = 5; fees 11 + 4 + 3 + 6.
    // CH2: P4, R4, R4b (voided), 4 earns (one voided) = 7 (P3 reversed: not counted); fees 2 × 3.
    expect(read(`channels-${D}.csv`)).toBe([
      'business_date,channel,currency,txn_count,fee_amount,net_amount',
      `${D},CH,CNY,5,24,24`,
      `${D},CH2,CNY,7,6,6`,
      '',
    ].join('\n'));
    expect(read(`issuers-${D}.csv`)).toBe([
      'business_date,issuer,currency,load_amount,card_fee_amount,cash_out_amount,breakage_amount,net_amount',
      `${D},ISS,CNY,90000,0,0,0,-90000`,
      '',
    ].join('\n'));
    const summary = JSON.parse(read(`summary-${D}.json`));
    expect(summary).toMatchObject({ business_date: D, balanced: true, asset_totals: { CNY: 0, 'PTS:LOY': 0 }, entries: { settlement: 5, revaluation: 1 } });
    expect(summary.files.map((x: { file: string; rows: number }) => [x.file, x.rows])).toEqual([
      [`merchants-${D}.csv`, 2], [`merchant-points-${D}.csv`, 1], [`channels-${D}.csv`, 2], [`issuers-${D}.csv`, 1]]);
    expect(summary.files[0].totals.CNY).toMatchObject({ purchase_count: 2, purchase_amount: 17_777, net_amount: 7_906 });

    // Every party's position moved to settled:<party>; the float equals r(outstanding × v) exactly.
    const { rows: balances } = await ctx.db.pg.query(`
      select account, sum(amount)::bigint as b from postings where account ~ '^(merchant|channel|issuer|settled):' group by account order by account`);
    expect(balances).toEqual([
      { account: `channel:${f.channel.id}`, b: 0 }, { account: `channel:${ch2.id}`, b: 0 }, { account: `issuer:${f.seed.issuerId}`, b: 0 },
      { account: `merchant:${f.merchantId}`, b: 0 }, { account: `merchant:${m2.id}`, b: 0 },
      { account: `settled:channel_${f.channel.id}`, b: 24 }, { account: `settled:channel_${ch2.id}`, b: 6 },
      { account: `settled:issuer_${f.seed.issuerId}`, b: -90_000 }, { account: `settled:merchant_${f.merchantId}`, b: 1_567 },
      { account: `settled:merchant_${m2.id}`, b: 6_339 },
    ].sort((a, b) => (a.account < b.account ? -1 : 1)));
    const { rows: [pos] } = await ctx.db.pg.query(`select outstanding, float_amount, revaluation from settlement_scheme_positions where business_date = $1`, [D]);
    expect(pos).toEqual({ outstanding: 224, float_amount: 221, revaluation: -1 });
    expect((await verifyLedger(ctx.db.pg)).violations).toEqual([]);
  });

  it('rewrites byte-identical files on a re-run and posts nothing', async () => {
    const files = fs.readdirSync(out).sort();
    const bytes = files.map((x) => fs.readFileSync(path.join(out, x)));
    for (const x of files) fs.rmSync(path.join(out, x));
    const before = await entries();
    ctx.clock.advance(3_600_000);
    const r = await settleBusinessDate(ctx, { date: D, out });
    expect(r.posted).toBe(false);
    expect(await entries()).toBe(before);
    expect(fs.readdirSync(out).sort()).toEqual(files);
    files.forEach((x, i) => expect(fs.readFileSync(path.join(out, x)).equals(bytes[i]!), x).toBe(true));
  });

  it('puts a transaction 1 s before the cut-off into the closing date and 1 s after into the next one', async () => {
    ctx.clock.set('2026-03-11T23:59:59+08:00');
    await ok({ ...M1, request_id: 'before-cutoff', type: 'purchase', card: c0, amount: 1_000 });
    ctx.clock.set('2026-03-12T00:00:01+08:00');
    await ok({ ...M1, request_id: 'after-cutoff', type: 'purchase', card: c0, amount: 2_000 });
    const { rows } = await ctx.db.pg.query(`select request_id, business_date from transactions where request_id like '%-cutoff' order by id`);
    expect(rows).toEqual([{ request_id: 'before-cutoff', business_date: '2026-03-11' }, { request_id: 'after-cutoff', business_date: '2026-03-12' }]);
    // Within the grace period the date cannot close yet.
    ctx.clock.set('2026-03-12T00:04:59+08:00');
    await expect(settleBusinessDate(ctx, { date: '2026-03-11', out })).rejects.toThrow(InputError);
    ctx.clock.set('2026-03-12T00:05:00+08:00');
    await settleBusinessDate(ctx, { date: '2026-03-11', out });
    expect(read('merchants-2026-03-11.csv').split('\n')[1]).toBe('2026-03-11,M1,Merchant one,CNY,1,1000,0,0,0,0,15,0,0,0,0,985');
    expect(read('channels-2026-03-11.csv').split('\n')[1]).toBe('2026-03-11,CH,CNY,1,2,2');
  });

  it('stamps a late posting for a closed date with the next open date', async () => {
    ctx.clock.set('2026-03-11T23:00:00+08:00'); // a daemon whose clock still says 2026-03-11
    await ok({ ...M1, request_id: 'late', type: 'purchase', card: c0, amount: 500 });
    const { rows } = await ctx.db.pg.query(`select business_date from transactions where request_id = 'late'`);
    expect(rows).toEqual([{ business_date: '2026-03-12' }]);
  });

  it('refuses a date while an earlier date with postings is not settled, naming it', async () => {
    ctx.clock.set('2026-03-13T09:00:00+08:00');
    await ok({ ...M1, request_id: 'd13', type: 'purchase', card: c1, amount: 700 });
    ctx.clock.set('2026-03-14T00:05:00+08:00');
    const err = await settleBusinessDate(ctx, { date: '2026-03-13', out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ field: 'date', message: expect.stringContaining('business date 2026-03-12 has postings and is still open') });
    expect((await ctx.db.pg.query(`select 1 from business_dates where business_date = '2026-03-13'`)).rows).toEqual([]);
  });

  it('posts once when two settlements of the same date run at once', async () => {
    const before = await entries();
    const [a, b] = await Promise.all([
      settleBusinessDate(ctx, { date: '2026-03-12', out }),
      settleBusinessDate(ctx, { date: '2026-03-12', out: `${out}/second` }),
    ]);
    expect([a.posted, b.posted].sort()).toEqual([false, true]);
    // M1 and CH positions: 2000 + 500 purchases (commission 30 + 8), fees 3 + 2.
    expect(await entries()).toBe(before + 2);
    expect(a.files.map((x) => x.sha256)).toEqual(b.files.map((x) => x.sha256));
    expect(fs.readFileSync(path.join(out, 'merchants-2026-03-12.csv'), 'utf8').split('\n')[1]).toBe('2026-03-12,M1,Merchant one,CNY,2,2500,0,0,0,0,38,0,0,0,0,2462');
    // Now the earlier date is settled, the later one settles.
    expect((await settleBusinessDate(ctx, { date: '2026-03-13', out })).posted).toBe(true);
    expect((await verifyLedger(ctx.db.pg)).violations).toEqual([]);
  });

  it('settles card fees, cash-outs, breakage net of reactivation, points sales and goods prizes', async () => {
    ctx.clock.set('2026-03-14T10:00:00+08:00');
    const card = f.seed.cardIds[3]!;
    const iss = account.issuer(f.seed.issuerId);
    const value = account.cardValue(card);
    await f.fund(card, 5_000);
    const post = (...entries: ReturnType<typeof balancedEntry>[]) => withTransaction(ctx.db.pg, async (c) =>
      postEntries(c, await openBusinessDate(c, ctx.clock.now(), ctx.calendar), entries));
    const at = { occurredAt: ctx.clock.now() };
    await post(
      balancedEntry('card_fee', [{ account: iss, asset: 'CNY', amount: -300 }, { account: account.revenue('card_fees'), asset: 'CNY', amount: 300 }], at),
      balancedEntry('cash_out', [{ account: value, asset: 'CNY', amount: -1_000 }, { account: iss, asset: 'CNY', amount: 1_000 }], at),
      balancedEntry('breakage', [{ account: value, asset: 'CNY', amount: -700 }, { account: iss, asset: 'CNY', amount: 700 }], at),
      balancedEntry('breakage', [{ account: value, asset: 'CNY', amount: -200 }, { account: iss, asset: 'CNY', amount: 200 }], at));
    await post(balancedEntry('breakage_reversal', [{ account: value, asset: 'CNY', amount: 200 }, { account: iss, asset: 'CNY', amount: -200 }], at));
    // 1000 LOY points sold at M2 (sale 1.1111 fen: 1111; backing r(987.6) = 988) and a 500 fen goods prize M2 supplied.
    await runPoints(ctx, (db) => preparePointsLoad(ctx, db, { cardId: pointsCard.id, merchantId: m2.id, at: ctx.clock.now(), points: 1_000, scheme: 'LOY' }));
    await post(lotteryPrizeEntry('CNY', m2.id, 500, at, { game: 'test' }));

    ctx.clock.set('2026-03-15T00:05:00+08:00');
    const r = await settleBusinessDate(ctx, { date: '2026-03-14', out });
    expect(r).toMatchObject({ posted: true, balanced: true, entries: { settlement: 2, revaluation: 0 } });
    // -5000 - 300 + 1000 + 700 = -3600
    expect(read('issuers-2026-03-14.csv')).toBe(
      'business_date,issuer,currency,load_amount,card_fee_amount,cash_out_amount,breakage_amount,net_amount\n2026-03-14,ISS,CNY,5000,300,1000,700,-3600\n');
    expect(read('merchants-2026-03-14.csv').split('\n')[1]).toBe(`2026-03-14,M2,"'=Two, Ltd",CNY,0,0,0,0,0,0,0,0,0,1111,500,-611`);
    expect(read('merchant-points-2026-03-14.csv').split('\n')[1]).toBe('2026-03-14,M2,LOY,0,0,0,0,1000,1111');
    expect((await verifyLedger(ctx.db.pg)).violations).toEqual([]);
  });

  it('refuses a malformed date naming the field', async () => {
    await expect(settleBusinessDate(ctx, { date: '2026-02-30', out })).rejects.toMatchObject({ code: 'invalid_date', field: 'date', exitCode: 1 });
  });
});
