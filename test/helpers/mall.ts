import { expect } from 'vitest';
import { adminFixture, type AdminFixture } from './admin.js';
import type { TestContext } from './db.js';
import { addScheme } from '../../src/registry/schemes.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addProgram } from '../../src/registry/programs.js';
import { createCard } from '../../src/cards/cards.js';
import { withTransaction } from '../../src/db/tx.js';
import { localDate } from '../../src/ledger/calendar.js';
import { addHolder, linkCard } from '../../src/holders/holders.js';
import { cliActor } from '../../src/admin/audit.js';

export const HOLDER_PW = 'holder password 1';

export interface MallFixture extends AdminFixture {
  /** Holders with one COMBO card each (1000 SHOPPTS points, `value` fen): ids, card ids, card numbers, bearer tokens. */
  holders: { id: number; cardId: number; pan: string; token: string }[];
  points(cardId: number): Promise<number>;
}

/**
 * The admin fixture plus a points mall: scheme SHOPPTS (redemption value 0.5 fen a point), merchant
 * SHOP (earns SHOPPTS at 1 point per 100 fen, 100 bps commission, terminals S1 and WEB-SEAT), a
 * combo program COMBO (BIN 623000) and `n` holders, each with one COMBO card holding 1000 points
 * (earned at SHOP over CH) and `value` fen of stored value; operator `shop` (merchant_admin of SHOP)
 * and `shopop` (merchant_operator of SHOP), `ma2` (merchant_admin of M2). `ctx`: another database (test-citus).
 */
export async function mallFixture(n: number, value = 10_000, ctx?: TestContext): Promise<MallFixture> {
  const f = await adminFixture({
    ctx,
    channelMerchants: ['M1', 'SHOP'],
    setup: async (ctx) => {
      await addScheme(ctx, { code: 'SHOPPTS', issuePrice: '1', redemptionValue: '0.5', salePrice: '1' });
      await addMerchant(ctx, { code: 'SHOP', name: 'Shop', commissionBps: 100, earnScheme: 'SHOPPTS', earnRate: 1 });
      await addTerminal(ctx, { merchant: 'SHOP', code: 'S1' });
      // Created before the daemon starts, so its registry cache sees it (goods creation adds it too).
      await addTerminal(ctx, { merchant: 'SHOP', code: 'WEB-SEAT' });
      await addProgram(ctx, { code: 'COMBO', issuer: 'ISS', bin: '623000', kind: 'combo', scheme: 'SHOPPTS' });
    },
  });
  await f.operator('shop', 'merchant_admin', { merchant: 'SHOP' });
  await f.operator('shopop', 'merchant_operator', { merchant: 'SHOP' });
  await f.operator('ma2', 'merchant_admin', { merchant: 'M2' });
  const { rows } = await f.ctx.db.pg.query("select * from programs where code = 'COMBO'");
  const program = rows[0];
  const cards = await withTransaction(f.ctx.db.pg, async (c) => {
    const out: { id: number; pan: string }[] = [];
    for (let i = 0; i < n; i++) {
      out.push(await createCard(c, f.ctx.keys, { ...program, activate_on_issue: true }, { issuedAt: f.ctx.clock.now(), issuedOn: localDate(f.ctx.clock.now(), f.ctx.calendar.timezone) }));
    }
    return out;
  });
  const holders: MallFixture['holders'] = [];
  for (let i = 0; i < n; i++) {
    const h = await addHolder(f.ctx, { name: `Holder ${i}`, id_type: 'other', id_number: `ID-${1000 + i}`, mobile: `1390000${String(1000 + i)}` }, HOLDER_PW, cliActor());
    await linkCard(f.ctx, h.holder.id, { cardId: cards[i]!.id }, cliActor());
    await f.fund(cards[i]!.id, value);
    const e = await f.send({ request_id: `earn-${i}`, type: 'points_earn', card: cards[i]!.pan, amount: 100_000, merchant: 'SHOP', terminal: 'S1' });
    expect(e.body.response_code).toBe('00');
    const login = await f.call('POST', '/sessions', { body: { mobile: `1390000${String(1000 + i)}`, password: HOLDER_PW } });
    holders.push({ id: h.holder.id, cardId: cards[i]!.id, pan: cards[i]!.pan, token: login.body.token as string });
  }
  const points = async (cardId: number) => {
    const r = await f.ctx.db.pg.query<{ balance: number }>("select balance from card_accounts where card_id = $1 and asset = 'PTS:SHOPPTS'", [cardId]);
    return Number(r.rows[0]?.balance ?? 0);
  };
  return { ...f, holders, points };
}
