import { describe, expect, it } from 'vitest';
import { daemonFixture, expectNoPans } from '../helpers/daemon.js';
import { seedPointsDaemon, type PointsDaemonSeed } from '../helpers/points.js';
import { issueCards, setPin } from '../helpers/daemon-extra.js';
import { addProgram } from '../../src/registry/programs.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// Points over signed HTTP (design §4, §5). Channel CH: fixed fee 1 fen (+10 bps on stored value
// only): points types pay the 1 fen, in the same entry. Prices: AIR issue 1.2345, redemption 0.9876,
// sale 1.1111 fen a point; MALL redemption 0.5; AIR → MALL 0.5; game WIN costs 100 AIR, prize 30 AIR.
let pts!: PointsDaemonSeed;
const f = await daemonFixture({
  cards: 1, channelMerchants: ['M1', 'COFFEE', 'SHOP'],
  setup: async (ctx) => void (pts = await seedPointsDaemon(ctx, 10)),
});
const { AIR, MALL } = pts.schemes;
const { COFFEE, SHOP } = pts.merchants;
const at = (m: 'COFFEE' | 'SHOP') => ({ merchant: m, terminal: 'T1' });
const chan = `channel:${f.channel.id} CNY`;
const card = (n: number, s = 'AIR') => `card:${pts.cards[n]}:points:${s} PTS:${s}`;
const issued = (s: number, code = 'AIR') => `scheme:${s}:issued PTS:${code}`;
const float = (s: number) => `scheme:${s}:float CNY`;

/** Net postings of every entry of a transaction, `account asset` → amount (zero sums left out). */
async function legsOf(transactionId: unknown): Promise<Record<string, number>> {
  const { rows } = await f.ctx.db.pg.query<{ k: string; s: number }>(
    `select p.account || ' ' || p.asset as k, sum(p.amount)::bigint as s from postings p join entries e on e.id = p.entry_id
     where e.transaction_id = $1 group by 1 having sum(p.amount) <> 0`, [transactionId]);
  return Object.fromEntries(rows.map((r) => [r.k, r.s]));
}

/** How many entries a transaction posted. */
async function entriesOf(transactionId: unknown): Promise<number> {
  return (await f.ctx.db.pg.query('select count(*)::int as n from entries where transaction_id = $1', [transactionId])).rows[0].n;
}

async function pointsOf(n: number, scheme = 'AIR'): Promise<number> {
  const { rows } = await f.ctx.db.pg.query('select balance from card_accounts where card_id = $1 and asset = $2', [pts.cards[n], `PTS:${scheme}`]);
  return rows[0]?.balance ?? 0;
}

const fee = { [chan]: 1, 'revenue:channel_fees CNY': -1 };

describe('points types over HTTP', () => {
  it('points_earn awards the merchant rule\'s points (in detail and balance.points; amounts stay the purchase), funded at the issue price, with the fixed channel fee in the same entry', async () => {
    // 12345 fen at 3 points per 100 fen: p = 370; merchant −r(456.765) = −457, float +r(365.412) = 365, spread 92.
    const r = await f.send({ ...at('COFFEE'), request_id: 'earn-1', type: 'points_earn', card: pts.pans[0], amount: 12345 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      approved: true, response_code: '00', type: 'points_earn', amount_requested: 12345, amount_approved: 12345,
      balance: { available: 0, ledger: 0, currency: 'CNY', points: { AIR: 370 } }, detail: { scheme: 'AIR', points: 370 },
    });
    expect(await entriesOf(r.body.transaction_id)).toBe(1);
    expect(await legsOf(r.body.transaction_id)).toEqual({
      [card(0)]: 370, [issued(AIR)]: -370, [`merchant:${COFFEE} CNY`]: -457, [float(AIR)]: 365, 'revenue:points_spread CNY': 92, ...fee,
    });
    const { rows: [t] } = await f.ctx.db.pg.query('select asset, amount_requested, amount_approved, channel_fee, status from transactions where id = $1', [r.body.transaction_id]);
    expect(t).toEqual({ asset: 'CNY', amount_requested: 12345, amount_approved: 12345, channel_fee: 1, status: 'approved' });
  });

  it('points_load sells points at the sale price; points_redeem pays the merchant the redemption value, partial approving what is spendable (10)', async () => {
    const load = await f.send({ ...at('COFFEE'), request_id: 'load-1', type: 'points_load', card: pts.pans[1], amount: 1000 });
    expect(load.body).toMatchObject({ approved: true, response_code: '00', amount_requested: 1000, amount_approved: 1000, balance: { points: { AIR: 1000 } } });
    // 1000 points at 1.1111: merchant −1111, float +r(987.6) = 988, spread 123.
    expect(await legsOf(load.body.transaction_id)).toEqual({
      [card(1)]: 1000, [issued(AIR)]: -1000, [`merchant:${COFFEE} CNY`]: -1111, [float(AIR)]: 988, 'revenue:points_spread CNY': 123, ...fee,
    });
    // SHOP accepts AIR through alliance ALLY: 400 points, float −r(395.04) = −395 to the merchant.
    const redeem = await f.send({ ...at('SHOP'), request_id: 'redeem-1', type: 'points_redeem', card: pts.pans[1], amount: 400 });
    expect(redeem.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 400, balance: { points: { AIR: 600 } } });
    expect(await legsOf(redeem.body.transaction_id)).toEqual({ [card(1)]: -400, [issued(AIR)]: 400, [float(AIR)]: -395, [`merchant:${SHOP} CNY`]: 395, ...fee });
    const over = await f.send({ ...at('SHOP'), request_id: 'redeem-2', type: 'points_redeem', card: pts.pans[1], amount: 601 });
    expect(over.body).toMatchObject({ approved: false, response_code: '51', amount_approved: 0 });
    const partial = await f.send({ ...at('SHOP'), request_id: 'redeem-3', type: 'points_redeem', card: pts.pans[1], amount: 601, partial: true });
    expect(partial.body).toMatchObject({ approved: true, response_code: '10', amount_requested: 601, amount_approved: 600, balance: { points: { AIR: 0 } } });
    expect(await legsOf(partial.body.transaction_id)).toEqual({ [card(1)]: -600, [issued(AIR)]: 600, [float(AIR)]: -593, [`merchant:${SHOP} CNY`]: 593, ...fee });
  });

  it('points_exchange uses the rate in force and lottery draws the game; both with the fixed fee; 57 where a scheme is not accepted', async () => {
    await f.send({ ...at('COFFEE'), request_id: 'load-2', type: 'points_load', card: pts.pans[2], amount: 1000 });
    const ex = await f.send({ ...at('SHOP'), request_id: 'ex-1', type: 'points_exchange', card: pts.pans[2], amount: 101, scheme: 'AIR', to_scheme: 'MALL' });
    // p2 = floor(101 × 0.5) = 50; AIR float −r(99.7476) = −100, MALL float +25, spread 75.
    expect(ex.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 101, balance: { points: { AIR: 899, MALL: 50 } }, detail: { to_points: 50, rate_micro: 500_000 } });
    expect(await legsOf(ex.body.transaction_id)).toEqual({
      [card(2)]: -101, [issued(AIR)]: 101, [card(2, 'MALL')]: 50, [issued(MALL, 'MALL')]: -50,
      [float(AIR)]: -100, [float(MALL)]: 25, 'revenue:points_spread CNY': 75, ...fee,
    });
    expect((await f.send({ ...at('COFFEE'), request_id: 'ex-2', type: 'points_exchange', card: pts.pans[2], amount: 10, to_scheme: 'MALL' })).body.response_code).toBe('57');

    const draw = await f.send({ ...at('COFFEE'), request_id: 'draw-1', type: 'lottery', card: pts.pans[2], game: 'WIN' });
    // Cost 100, prize 30: card −70; float −r(69.132) = −69, revenue:lottery +69.
    expect(draw.body).toMatchObject({
      approved: true, response_code: '00', amount_requested: null, amount_approved: 100, balance: { points: { AIR: 829, MALL: 50 } },
      detail: { game: 'WIN', cost: 100, prize: { code: 'P30', kind: 'points', points: 30 } },
    });
    expect(await legsOf(draw.body.transaction_id)).toEqual({ [card(2)]: -70, [issued(AIR)]: 70, [float(AIR)]: -69, 'revenue:lottery CNY': 69, ...fee });
    expect((await f.send({ ...at('COFFEE'), request_id: 'draw-x', type: 'lottery', card: pts.pans[2], game: 'NOPE' })).body.response_code).toBe('12');
    const missing = await f.send({ ...at('COFFEE'), request_id: 'draw-y', type: 'lottery', card: pts.pans[2] });
    expect(missing).toMatchObject({ status: 400, body: { error: { field: 'game' } } });
    expect((await f.send({ ...at('SHOP'), request_id: 'ex-y', type: 'points_exchange', card: pts.pans[2], amount: 5 })).body).toMatchObject({ error: { field: 'to_scheme' } });
  });

  it('a reversal undoes each points type with its channel fee; a void keeps the fee', async () => {
    for (const [n, type, body] of [
      [0, 'points_earn', { amount: 10000 }], [1, 'points_load', { amount: 500 }], [2, 'points_redeem', { amount: 200 }],
      [3, 'points_exchange', { amount: 200, to_scheme: 'MALL' }], [4, 'lottery', { game: 'WIN' }],
    ] as const) {
      for (const kind of ['reversal', 'void'] as const) {
        const id = `${type}-${kind}`;
        const before = { AIR: await pointsOf(2), MALL: await pointsOf(2, 'MALL') };
        const orig = await f.send({ ...at('SHOP'), request_id: id, type, card: pts.pans[2], ...body });
        expect(orig.body, id).toMatchObject({ approved: true });
        const undo = await f.send({ ...at('SHOP'), request_id: `${id}-u`, type: kind, original_request_id: id });
        expect(undo.body, `${id} ${n}`).toMatchObject({ approved: true, response_code: '00' });
        expect({ AIR: await pointsOf(2), MALL: await pointsOf(2, 'MALL') }, id).toEqual(before);
        // Everything nets out but the channel fee, which a void keeps.
        const net = await f.ctx.db.pg.query<{ k: string; s: number }>(
          `select p.account || ' ' || p.asset as k, sum(p.amount)::bigint as s from postings p join entries e on e.id = p.entry_id
           where e.transaction_id in ($1, $2) group by 1 having sum(p.amount) <> 0`, [orig.body.transaction_id, undo.body.transaction_id]);
        expect(Object.fromEntries(net.rows.map((r) => [r.k, r.s])), id).toEqual(kind === 'void' ? fee : {});
        const { rows: [t] } = await f.ctx.db.pg.query('select status from transactions where id = $1', [orig.body.transaction_id]);
        expect(t.status).toBe(kind === 'void' ? 'voided' : 'reversed');
      }
    }
  });

  it('a lottery reversal restores the points exactly once: a repeated reversal is acknowledged without effect, a void after it 94', async () => {
    const before = await pointsOf(2);
    const draw = await f.send({ ...at('COFFEE'), request_id: 'draw-once', type: 'lottery', card: pts.pans[2], game: 'WIN' });
    expect(await pointsOf(2)).toBe(before - 70);
    const r1 = await f.send({ ...at('COFFEE'), request_id: 'draw-once-r1', type: 'reversal', original_request_id: 'draw-once' });
    const r2 = await f.send({ ...at('COFFEE'), request_id: 'draw-once-r2', type: 'reversal', original_request_id: 'draw-once' });
    expect([r1.body.response_code, r2.body.response_code]).toEqual(['00', '00']);
    expect(await entriesOf(r2.body.transaction_id)).toBe(0);
    expect((await f.send({ ...at('COFFEE'), request_id: 'draw-once-v', type: 'void', original_request_id: 'draw-once' })).body.response_code).toBe('94');
    expect(await pointsOf(2)).toBe(before);
    const { rows } = await f.ctx.db.pg.query('select reversed from lottery_draws where transaction_id = $1', [draw.body.transaction_id]);
    expect(rows).toEqual([{ reversed: true }]);
  });

  it('a reversal arriving before its points original answers 00; the late original is declined 94 and moves nothing', async () => {
    const rev = await f.send({ ...at('COFFEE'), request_id: 'early-rev', type: 'reversal', original_request_id: 'late-earn' });
    expect(rev.body).toMatchObject({ approved: true, response_code: '00' });
    const late = await f.send({ ...at('COFFEE'), request_id: 'late-earn', type: 'points_earn', card: pts.pans[3], amount: 5000 });
    expect(late.body).toMatchObject({ approved: false, response_code: '94', amount_approved: 0 });
    expect(await pointsOf(3)).toBe(0);
  });

  it('replays a points request with its stored response, and answers 409 to the same request_id with another body', async () => {
    const body = { ...at('COFFEE'), request_id: 'replay-load', type: 'points_load', card: pts.pans[3], amount: 250 };
    const first = await f.send(body);
    const again = await f.send(body);
    expect(again.body).toEqual(first.body);
    expect(await pointsOf(3)).toBe(250);
    expect((await f.send({ ...body, amount: 251 })).status).toBe(409);
  });
});

describe('claw-back of points earned on a purchase (original_request_id)', () => {
  it('a refund of the linked purchase claws back in proportion; a void of another claws back fully; a second earn on a purchase 94', async () => {
    await f.fund(pts.cards[4]!, 50_000);
    expect((await f.send({ ...at('COFFEE'), request_id: 'buy-1', type: 'purchase', card: pts.pans[4], amount: 10_000 })).body.response_code).toBe('00');
    const earn = await f.send({ ...at('COFFEE'), request_id: 'buy-1-earn', type: 'points_earn', card: pts.pans[4], amount: 10_000, original_request_id: 'buy-1' });
    expect(earn.body).toMatchObject({ approved: true, amount_approved: 10_000, detail: { points: 300 }, balance: { points: { AIR: 300 } } });
    expect((await f.send({ ...at('COFFEE'), request_id: 'buy-1-earn2', type: 'points_earn', card: pts.pans[4], amount: 10_000, original_request_id: 'buy-1' })).body.response_code).toBe('94');
    expect((await f.send({ ...at('COFFEE'), request_id: 'buy-x-earn', type: 'points_earn', card: pts.pans[4], amount: 100, original_request_id: 'nope' })).body.response_code).toBe('25');
    // Only the purchase's merchant may reward it, with at most its amount.
    expect((await f.send({ ...at('COFFEE'), request_id: 'buy-1b', type: 'purchase', card: pts.pans[4], amount: 1_000 })).body.response_code).toBe('00');
    expect((await f.send({ ...at('SHOP'), request_id: 'buy-1b-earn', type: 'points_earn', card: pts.pans[4], amount: 1_000, original_request_id: 'buy-1b' })).body.response_code).toBe('58');
    expect((await f.send({ ...at('COFFEE'), request_id: 'buy-1b-earn2', type: 'points_earn', card: pts.pans[4], amount: 1_001, original_request_id: 'buy-1b' })).body.response_code).toBe('13');

    // Refund 3333 of 10000: r(300 × 0.3333) = 100 points; merchant +123, float −99, spread −24 (as test/points/clawback.test.ts).
    const refund = await f.send({ ...at('COFFEE'), request_id: 'buy-1-ref', type: 'refund', original_request_id: 'buy-1', amount: 3333 });
    expect(refund.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 3333, balance: { points: { AIR: 200 } }, detail: { points_clawed_back: 100, shortfall: 0 } });
    const legs = await legsOf(refund.body.transaction_id);
    expect(legs).toMatchObject({ [card(4)]: -100, [issued(AIR)]: 100, [float(AIR)]: -99 });
    // The merchant's leg nets the stored-value refund (−3333: COFFEE takes no commission) and the claw-back (+123).
    expect(legs[`merchant:${COFFEE} CNY`]).toBe(-3333 + 123);

    // The cardholder spends 150 of the 200: the rest of the purchase refunded intends 200 points, 50 are there.
    await f.send({ ...at('SHOP'), request_id: 'spend-150', type: 'points_redeem', card: pts.pans[4], amount: 150 });
    const rest = await f.send({ ...at('COFFEE'), request_id: 'buy-1-ref2', type: 'refund', original_request_id: 'buy-1', amount: 6667 });
    expect(rest.body).toMatchObject({ approved: true, detail: { points_intended: 200, points_clawed_back: 50, shortfall: 150 }, balance: { points: { AIR: 0 } } });

    // A void of another linked purchase takes everything back.
    expect((await f.send({ ...at('COFFEE'), request_id: 'buy-2', type: 'purchase', card: pts.pans[4], amount: 5_000 })).body.response_code).toBe('00');
    expect((await f.send({ ...at('COFFEE'), request_id: 'buy-2-earn', type: 'points_earn', card: pts.pans[4], amount: 5_000, original_request_id: 'buy-2' })).body.detail).toEqual({ scheme: 'AIR', points: 150 });
    const v = await f.send({ ...at('COFFEE'), request_id: 'buy-2-void', type: 'void', original_request_id: 'buy-2' });
    expect(v.body).toMatchObject({ approved: true, amount_approved: 5_000, balance: { points: { AIR: 0 } }, detail: { points_clawed_back: 150, shortfall: 0 } });
    const { rows } = await f.ctx.db.pg.query<{ k: string; s: number }>(
      `select p.account as k, sum(p.amount)::bigint as s from postings p join entries e on e.id = p.entry_id
       join transactions t on t.id = e.transaction_id where t.request_id in ('buy-2', 'buy-2-earn', 'buy-2-void')
       group by 1 having sum(p.amount) <> 0 order by 1`);
    // Only the channel fees of the purchase (1 + 10 bps of 5000) and the earn (1) remain: a void keeps them.
    expect(rows).toEqual([{ k: `channel:${f.channel.id}`, s: (1 + 5) + 1 }, { k: 'revenue:channel_fees', s: -7 }]);
    // The void clawed linked points back: its reversal would have to earn them again, so it is refused (12) and nothing moves.
    const rv = await f.send({ ...at('COFFEE'), request_id: 'buy-2-void-rev', type: 'reversal', original_request_id: 'buy-2-void' });
    expect(rv.body).toMatchObject({ approved: false, response_code: '12' });
    expect(await pointsOf(4)).toBe(0);
    const { rows: statuses } = await f.ctx.db.pg.query(`select request_id, status from transactions where request_id in ('buy-2', 'buy-2-void') order by request_id`);
    expect(statuses).toEqual([{ request_id: 'buy-2', status: 'voided' }, { request_id: 'buy-2-void', status: 'approved' }]);
  });

  it('a reversal of a refund gives the clawed-back points back to their lots; a refund of the earn itself claws back in proportion', async () => {
    await f.fund(pts.cards[5]!, 20_000);
    await f.send({ ...at('COFFEE'), request_id: 'buy-3', type: 'purchase', card: pts.pans[5], amount: 10_000 });
    await f.send({ ...at('COFFEE'), request_id: 'buy-3-earn', type: 'points_earn', card: pts.pans[5], amount: 10_000, original_request_id: 'buy-3' });
    const ref = await f.send({ ...at('COFFEE'), request_id: 'buy-3-ref', type: 'refund', original_request_id: 'buy-3', amount: 5_000 });
    expect(ref.body).toMatchObject({ approved: true, detail: { points_clawed_back: 150 }, balance: { points: { AIR: 150 } } });
    const rev = await f.send({ ...at('COFFEE'), request_id: 'buy-3-ref-rev', type: 'reversal', original_request_id: 'buy-3-ref' });
    expect(rev.body).toMatchObject({ approved: true, response_code: '00', balance: { points: { AIR: 300 } } });
    expect(await legsOf(rev.body.transaction_id)).toMatchObject({ [card(5)]: 150 });

    // Refund of the earn: 2500 of its 10000 → r(300 × 0.25) = 75 points; no channel fee.
    const earnRef = await f.send({ ...at('COFFEE'), request_id: 'buy-3-earn-ref', type: 'refund', original_request_id: 'buy-3-earn', amount: 2_500 });
    expect(earnRef.body).toMatchObject({ approved: true, amount_approved: 2_500, detail: { points_clawed_back: 75, shortfall: 0 }, balance: { points: { AIR: 225 } } });
    expect(await legsOf(earnRef.body.transaction_id)).not.toHaveProperty(chan);
    expect((await f.send({ ...at('COFFEE'), request_id: 'buy-3-earn-ref2', type: 'refund', original_request_id: 'buy-3-earn', amount: 7_501 })).body.response_code).toBe('13');
    const { rows: lots } = await f.ctx.db.pg.query('select sum(remaining)::int as n from points_lots where card_id = $1', [pts.cards[5]]);
    expect(lots[0].n).toBe(225);
  });
});

describe('card checks on points messages', () => {
  it('a PIN program asks the PIN for points_redeem (55) but not for points_load; a frozen card is refused 62 while a reversal still applies', async () => {
    await addProgram(f.ctx, { code: 'PINPTS', issuer: 'ISS', bin: '623001', kind: 'combo', named: true, scheme: 'AIR', requiresPin: true });
    const { ids: [id], pans: [pan] } = await issueCards(f.ctx, 'PINPTS', 1);
    await setPin(f.ctx, id!, '2468');
    expect((await f.send({ ...at('COFFEE'), request_id: 'pin-load', type: 'points_load', card: pan, amount: 500 })).body.response_code).toBe('00');
    expect((await f.send({ ...at('SHOP'), request_id: 'pin-r1', type: 'points_redeem', card: pan, amount: 100 })).body).toMatchObject({ response_code: '55', balance: null });
    expect((await f.send({ ...at('SHOP'), request_id: 'pin-r2', type: 'points_redeem', card: pan, amount: 100, pin: '1357' })).body.response_code).toBe('55');
    expect((await f.send({ ...at('SHOP'), request_id: 'pin-r3', type: 'points_redeem', card: pan, amount: 100, pin: '2468' })).body).toMatchObject({ response_code: '00', balance: { points: { AIR: 400 } } });
    await f.ctx.db.pg.query(`update cards set status = 'frozen' where id = $1`, [id]);
    expect((await f.send({ ...at('SHOP'), request_id: 'pin-r4', type: 'points_redeem', card: pan, amount: 100, pin: '2468' })).body.response_code).toBe('62');
    expect((await f.send({ ...at('SHOP'), request_id: 'pin-r3-v', type: 'void', original_request_id: 'pin-r3' })).body.response_code).toBe('62');
    expect((await f.send({ ...at('SHOP'), request_id: 'pin-r3-rev', type: 'reversal', original_request_id: 'pin-r3' })).body).toMatchObject({ response_code: '00', balance: { points: { AIR: 500 } } });
  });
});

describe('claw-back across cards', () => {
  it('a reversal of a purchase paid with a stored-value card claws back the points earned on a loyalty card', async () => {
    const [svCard] = f.seed.cardIds as [number];
    await f.fund(svCard, 10_000);
    const buy = await f.send({ ...at('COFFEE'), request_id: 'sv-buy', type: 'purchase', card: f.seed.pans[0], amount: 2_000 });
    expect(buy.body.response_code).toBe('00');
    const earn = await f.send({ ...at('COFFEE'), request_id: 'sv-buy-earn', type: 'points_earn', card: pts.pans[9], amount: 2_000, original_request_id: 'sv-buy' });
    expect(earn.body).toMatchObject({ approved: true, detail: { points: 60 }, balance: { points: { AIR: 60 } } });
    const rev = await f.send({ ...at('COFFEE'), request_id: 'sv-buy-rev', type: 'reversal', original_request_id: 'sv-buy' });
    // The response shows the purchase's card; the points come off the loyalty card.
    expect(rev.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 2_000, balance: { ledger: 10_000 }, detail: { points_clawed_back: 60, shortfall: 0 } });
    expect(await pointsOf(9)).toBe(0);
    expect((await f.balance(svCard)).balance).toBe(10_000);
  });
});

describe('points under concurrency', () => {
  it('concurrent redemptions of the whole points balance over HTTP: exactly one approved', async () => {
    await f.send({ ...at('COFFEE'), request_id: 'conc-load', type: 'points_load', card: pts.pans[6], amount: 777 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, n) =>
      f.send({ ...at('SHOP'), request_id: `conc-${n}`, type: 'points_redeem', card: pts.pans[6], amount: 777 })));
    const codes = answers.map((a) => a.body.response_code);
    expect(codes.filter((c) => c === '00')).toHaveLength(1);
    expect(codes.filter((c) => c === '51')).toHaveLength(19);
    expect(await pointsOf(6)).toBe(0);
  });

  it('mixed concurrent points and stored-value traffic on shared cards never overdraws', async () => {
    for (const n of [7, 8]) {
      await f.fund(pts.cards[n]!, 5_000);
      await f.send({ ...at('COFFEE'), request_id: `mix-load-${n}`, type: 'points_load', card: pts.pans[n], amount: 1_000 });
    }
    const kinds = ['purchase', 'points_redeem', 'lottery', 'points_earn'] as const;
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => {
      const type = kinds[i % 4]!;
      const body: Record<string, unknown> = { ...at('COFFEE'), request_id: `mix-${i}`, type, card: pts.pans[7 + (i % 2)] };
      if (type === 'lottery') body.game = 'WIN';
      else body.amount = 250;
      return f.send(body);
    }));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    for (const n of [7, 8]) expect(await pointsOf(n)).toBeGreaterThanOrEqual(0);
  });

  it('counts points messages in /metrics by type and response code', async () => {
    const text = await (await fetch(`${f.daemon.url}/metrics`)).text();
    expect(text).toMatch(/type="points_redeem",response_code="51"\} \d+/);
    expect(text).toMatch(/type="lottery",response_code="00"\} \d+/);
  });

  it('leaves the ledger verified and logs no card number', async () => {
    const v = await verifyLedger(f.ctx.db.pg);
    expect(v).toMatchObject({ ok: true });
    expectNoPans(f.logs, pts.pans);
  });
});
