import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { at, creditPoints, issueCard, load, purchase } from '../helpers/residual.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { addMerchant } from '../../src/registry/merchants.js';
import { addScheme } from '../../src/registry/schemes.js';
import { liabilityReport } from '../../src/settlement/liability.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const iss = await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
const iss2 = await addIssuer(ctx, { code: 'ISS2', name: 'Second issuer' });
const s1 = await addScheme(ctx, { code: 'S1', issuePrice: '1', redemptionValue: '1' });
await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622009' });
await addProgram(ctx, { code: 'COMBO', issuer: 'ISS', bin: '622010', kind: 'combo', named: true, scheme: 'S1' });
await addProgram(ctx, { code: 'SV2', issuer: 'ISS2', bin: '622011' });
const m = await addMerchant(ctx, { code: 'M1' });

at(ctx, '2025-06-01');
const card1 = await issueCard(ctx, 'SV');
await load(ctx, card1.id, iss.id, 5000);
at(ctx, '2026-01-05');
const card2 = await issueCard(ctx, 'SV');
await load(ctx, card2.id, iss.id, 1000);
at(ctx, '2026-02-10');
const card3 = await issueCard(ctx, 'COMBO');
await load(ctx, card3.id, iss.id, 2000);
await creditPoints(ctx, card3.id, s1, m.id, 150);
at(ctx, '2026-02-20');
await purchase(ctx, card2.id, m.id, 300);
at(ctx, '2026-02-25');
const card4 = await issueCard(ctx, 'SV2');
await load(ctx, card4.id, iss2.id, 400);
await purchase(ctx, card4.id, m.id, 400);
// After the reporting date:
at(ctx, '2026-03-05');
await purchase(ctx, card1.id, m.id, 1000);
const card5 = await issueCard(ctx, 'SV');
await load(ctx, card5.id, iss.id, 700);
at(ctx, '2026-03-10');

const zero = { '0-30': 0, '31-90': 0, '91-180': 0, '181-365': 0, '366+': 0 };

describe('outstanding liability', () => {
  it('as of a past date equals a hand computation from the transactions', async () => {
    const r = await liabilityReport(ctx, { asOf: '2026-02-28' });
    expect(r.buckets).toEqual(['0-30', '31-90', '91-180', '181-365', '366+']);
    expect(r.rows).toEqual([
      // card 3: 2000 loaded and 150 points on 2026-02-10, 18 days before.
      { issuer: 'ISS', program: 'COMBO', asset: 'CNY', kind: 'value', scheme: null, cards: 1, outstanding: 2000, aged: { ...zero, '0-30': 2000 } },
      { issuer: 'ISS', program: 'COMBO', asset: 'PTS:S1', kind: 'points', scheme: 'S1', cards: 1, outstanding: 150, aged: { ...zero, '0-30': 150 } },
      // card 1: 5000, idle since 2025-06-01 (272 days); card 2: 1000 - 300, last used 2026-02-20 (8 days).
      { issuer: 'ISS', program: 'SV', asset: 'CNY', kind: 'value', scheme: null, cards: 2, outstanding: 5700, aged: { ...zero, '0-30': 700, '181-365': 5000 } },
      // card 4 (ISS2) was spent to zero; card 5 and card 1's purchase come after the date.
    ]);
    expect(r.totals).toEqual([{ asset: 'CNY', cards: 3, outstanding: 7700 }, { asset: 'PTS:S1', cards: 1, outstanding: 150 }]);
    expect(r.escheat).toEqual([]);
  });

  it('as of today matches the card balances of the ledger', async () => {
    const r = await liabilityReport(ctx, { asOf: '2026-03-10' });
    const { rows } = await ctx.db.pg.query<{ asset: string; cards: number; total: number }>(`
      select asset, count(*)::int as cards, sum(balance)::bigint as total from card_accounts where balance <> 0 group by asset order by asset`);
    expect(r.totals).toEqual(rows.map((x) => ({ asset: x.asset, cards: x.cards, outstanding: x.total })));
    expect(r.totals[0]).toEqual({ asset: 'CNY', cards: 4, outstanding: 7400 });
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('purse report liability --json prints the same report', async () => {
    const cli = await runCli(['report', 'liability', '--as-of', '2026-02-28', '--json'], ctx.env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(await liabilityReport(ctx, { asOf: '2026-02-28' }));
    const human = await runCli(['report', 'liability', '--as-of', '2026-02-28'], ctx.env);
    expect(human.stdout).toMatch(/ISS\s+SV\s+CNY\s+2\s+5700\s+700\s+0\s+0\s+5000\s+0/);
    const bad = await runCli(['report', 'liability', '--as-of', '2026-02-30'], ctx.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('(field: --as-of)');
  });
});
