import type { Context } from '../../src/context.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { addScheme, setRate } from '../../src/registry/schemes.js';
import { addAlliance } from '../../src/registry/alliances.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addGame } from '../../src/points/lottery/games.js';
import { createCard } from '../../src/cards/cards.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import type { Queryable } from '../../src/ledger/post.js';
import { localDate } from '../../src/ledger/calendar.js';
import { finishPoints, type PointsOutcome } from '../../src/points/outcome.js';

/**
 * Points test set-up (prices chosen so rounding matters):
 * - AIR: issue 1.2345, redemption 0.9876, sale 1.1111 fen a point, valid 12 months; alliance ALLY's scheme.
 * - MALL: issue 0.75, redemption 0.5, sale 0.6, never expires.
 * - merchants COFFEE (ALLY member, earns AIR at 3 points per 100 fen, cap 500), SHOP (earns MALL at
 *   1 per 100 fen, ALLY member, so accepts AIR and MALL), OUTSIDER (no rule, accepts nothing).
 * - program COMBO (combo, named, home scheme AIR) with `cards` active cards; program SV (stored value) with one.
 */
export interface PointsSeed {
  schemes: { AIR: number; MALL: number };
  merchants: { COFFEE: number; SHOP: number; OUTSIDER: number };
  cards: number[];
  svCard: number;
}

/** Schemes AIR and MALL, alliance ALLY and merchants COFFEE, SHOP, OUTSIDER as described above. */
async function addPointsRegistry(ctx: Context): Promise<Pick<PointsSeed, 'schemes' | 'merchants'>> {
  const air = await addScheme(ctx, { code: 'AIR', issuePrice: '1.2345', redemptionValue: '0.9876', salePrice: '1.1111', validityMonths: 12 });
  const mall = await addScheme(ctx, { code: 'MALL', issuePrice: '0.75', redemptionValue: '0.5', salePrice: '0.6' });
  await addAlliance(ctx, { code: 'ALLY', scheme: 'AIR' });
  const coffee = await addMerchant(ctx, { code: 'COFFEE', earnScheme: 'AIR', earnRate: 3, earnCap: 500, alliances: 'ALLY' });
  const shop = await addMerchant(ctx, { code: 'SHOP', earnScheme: 'MALL', earnRate: 1, alliances: 'ALLY' });
  const outsider = await addMerchant(ctx, { code: 'OUTSIDER' });
  return { schemes: { AIR: air.id, MALL: mall.id }, merchants: { COFFEE: coffee.id, SHOP: shop.id, OUTSIDER: outsider.id } };
}

export async function seedPoints(ctx: Context, cards = 4): Promise<PointsSeed> {
  await addIssuer(ctx, { code: 'ISS', name: 'Test Issuer' });
  const { schemes, merchants } = await addPointsRegistry(ctx);
  const combo = await addProgram(ctx, { code: 'COMBO', issuer: 'ISS', bin: '623000', kind: 'combo', named: true, scheme: 'AIR', activateOnIssue: true });
  const sv = await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622000', activateOnIssue: true });
  const ids: number[] = [];
  let svCard = 0;
  await withTransaction(ctx.db.pg, async (c) => {
    const opts = { issuedAt: ctx.clock.now(), issuedOn: localDate(ctx.clock.now(), ctx.calendar.timezone) };
    for (let i = 0; i < cards; i++) ids.push((await createCard(c, ctx.keys, combo, opts)).id);
    svCard = (await createCard(c, ctx.keys, sv, opts)).id;
  });
  return { schemes, merchants, cards: ids, svCard };
}

export interface PointsDaemonSeed extends Pick<PointsSeed, 'schemes' | 'merchants'> {
  /** Active COMBO cards (named, home scheme AIR) and their PANs. */
  cards: number[];
  pans: string[];
}

/**
 * The points set-up of seedPoints for daemonFixture's `setup` (its issuer ISS exists already):
 * schemes, alliance and merchants as above, each merchant with terminal T1; program COMBO with
 * `cards` active cards; an AIR → MALL rate of 0.5 in force since 2026-01-01; game WIN on AIR costing
 * 100 points whose only prize (probability 1, unlimited) is 30 AIR points.
 */
export async function seedPointsDaemon(ctx: Context, cards = 4): Promise<PointsDaemonSeed> {
  const { schemes, merchants } = await addPointsRegistry(ctx);
  for (const m of ['COFFEE', 'SHOP', 'OUTSIDER']) await addTerminal(ctx, { merchant: m, code: 'T1' });
  const combo = await addProgram(ctx, { code: 'COMBO', issuer: 'ISS', bin: '623000', kind: 'combo', named: true, scheme: 'AIR', activateOnIssue: true });
  await setRate(ctx, { from: 'AIR', to: 'MALL', rate: '0.5', effectiveAt: '2026-01-01T00:00:00+08:00' });
  await addGame(ctx, { code: 'WIN', scheme: 'AIR', cost: 100, prizes: [{ code: 'P30', points: 30, probability: '1' }] });
  const ids: number[] = [];
  const pans: string[] = [];
  await withTransaction(ctx.db.pg, async (c) => {
    const opts = { issuedAt: ctx.clock.now(), issuedOn: localDate(ctx.clock.now(), ctx.calendar.timezone) };
    for (let i = 0; i < cards; i++) {
      const card = await createCard(c, ctx.keys, combo, opts);
      ids.push(card.id);
      pans.push(card.pan);
    }
  });
  return { schemes, merchants, cards: ids, pans };
}

/** What the pipeline does with a points outcome: prepare, post, finish — in one transaction. */
export async function runPoints(ctx: Context, prepare: (db: Queryable) => Promise<PointsOutcome>): Promise<{ outcome: PointsOutcome; entryIds: number[] }> {
  return withTransaction(ctx.db.pg, async (client) => {
    const outcome = await prepare(client);
    if (!outcome.approved) return { outcome, entryIds: [] };
    const entryIds = await postEntries(client, await openBusinessDate(client, ctx.clock.now(), ctx.calendar), outcome.entries);
    await finishPoints(client, outcome, entryIds);
    return { outcome, entryIds };
  });
}

/** Postings of an entry as { account: amount } per asset, for hand-computed comparisons. */
export async function legsOf(ctx: Context, entryId: number): Promise<Record<string, number>> {
  const { rows } = await ctx.db.pg.query<{ account: string; asset: string; amount: number }>(
    'select account, asset, amount from postings where entry_id = $1', [entryId]);
  return Object.fromEntries(rows.map((r) => [`${r.account} ${r.asset}`, r.amount]));
}

/** The card's points balance of a scheme as kept in card_accounts. */
export async function pointsOf(ctx: Context, cardId: number, scheme: string): Promise<number> {
  const { rows } = await ctx.db.pg.query<{ balance: number }>('select balance from card_accounts where card_id = $1 and asset = $2', [cardId, `PTS:${scheme}`]);
  return rows[0]?.balance ?? 0;
}

/** The card's lots of a scheme in id order. */
export async function lotsOf(ctx: Context, cardId: number, schemeId: number): Promise<{ id: number; points: number; remaining: number; expires_at: Date | null }[]> {
  const { rows } = await ctx.db.pg.query('select id, points, remaining, expires_at from points_lots where card_id = $1 and scheme_id = $2 order by id', [cardId, schemeId]);
  return rows;
}
