import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { at, balanceOf, issueCard, load } from '../helpers/residual.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { expireCards } from '../../src/settlement/expiry.js';
import { changeCardStatus } from '../../src/cards/lifecycle.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const iss = await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622007' });
await addProgram(ctx, { code: 'NAMED', issuer: 'ISS', bin: '622008', named: true });

at(ctx, '2023-01-10'); // last valid day 2026-01-31
const active = await issueCard(ctx, 'SV');
const frozen = await issueCard(ctx, 'SV');
const lost = await issueCard(ctx, 'SV');
const named = await issueCard(ctx, 'NAMED');
await load(ctx, active.id, iss.id, 1234);
await changeCardStatus(ctx, { cardId: frozen.id }, 'freeze');
await changeCardStatus(ctx, { cardId: lost.id }, 'mark_lost');
at(ctx, '2023-02-10'); // last valid day 2026-02-28
const later = await issueCard(ctx, 'SV');

const statusOf = async (id: number) =>
  (await ctx.db.pg.query<{ status: string }>('select status from cards where id = $1', [id])).rows[0]!.status;

describe('card expiry', () => {
  it('keeps a card valid through its last valid day', async () => {
    at(ctx, '2026-01-31');
    expect((await expireCards(ctx)).expired).toBe(0);
    expect(await statusOf(active.id)).toBe('active');
  });

  it('expires cards past their expiry date and leaves the value on the card', async () => {
    at(ctx, '2026-02-01');
    const r = await expireCards(ctx);
    expect(r).toEqual({ business_date: '2026-02-01', expired: 2 });
    expect(await statusOf(active.id)).toBe('expired');
    expect(await statusOf(frozen.id)).toBe('expired');
    expect(await statusOf(lost.id)).toBe('lost');
    expect(await statusOf(named.id)).toBe('active');
    expect(await statusOf(later.id)).toBe('active');
    expect(await balanceOf(ctx, active.id)).toBe(1234);
    const { rows } = await ctx.db.pg.query(`select action, from_status, to_status from card_status_changes where card_id = $1 and action = 'expire'`, [frozen.id]);
    expect(rows).toEqual([{ action: 'expire', from_status: 'frozen', to_status: 'expired' }]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('a second run the same day changes nothing', async () => {
    expect((await expireCards(ctx)).expired).toBe(0);
  });
});
