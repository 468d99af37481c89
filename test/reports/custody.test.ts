import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { addIssuer, updateIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { createCard } from '../../src/cards/cards.js';
import { recordCustody } from '../../src/registry/custody.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry, type Posting } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';
import { liabilityReport } from '../../src/settlement/liability.js';
import { custodyReport } from '../../src/reports/custody.js';

const ctx = await testContext();
const classes = ['scale', 'group', 'brand', 'other'] as const;
const issuers: { id: number; card: number }[] = [];
ctx.clock.set('2026-03-10T10:00:00+08:00');
const newCard = async (programId: number, program: Awaited<ReturnType<typeof addProgram>>) => withTransaction(ctx.db.pg, async (c) =>
  (await createCard(c, ctx.keys, { ...program, id: programId, activate_on_issue: true }, { issuedAt: ctx.clock.now(), issuedOn: '2026-01-01' })).id);
const post = (kind: 'bulk_load' | 'purchase', legs: Posting[]) => withTransaction(ctx.db.pg, async (c) => {
  await postEntries(c, await openBusinessDate(c, ctx.clock.now(), ctx.calendar), [balancedEntry(kind, legs, { occurredAt: ctx.clock.now() })]);
});
for (const [i, cls] of classes.entries()) {
  const issuer = await addIssuer(ctx, { code: `I-${cls}`, name: `发卡机构${i}`, custodyClass: cls === 'other' ? undefined : cls });
  const program = await addProgram(ctx, { code: `P${i}`, issuer: issuer.code, bin: `62200${i}` });
  const card = await newCard(program.id, program);
  issuers.push({ id: issuer.id, card });
  // Q1: 12,345 fen outstanding on each issuer's card (two loads on two dates).
  await post('bulk_load', [{ account: account.cardValue(card), asset: 'CNY', amount: 12_000 }, { account: account.issuer(issuer.id), asset: 'CNY', amount: -12_000 }]);
}
ctx.clock.set('2026-03-31T23:30:00+08:00');
for (const x of issuers) await post('bulk_load', [{ account: account.cardValue(x.card), asset: 'CNY', amount: 345 }, { account: account.issuer(x.id), asset: 'CNY', amount: -345 }]);
// Q2: the scale issuer loads 1,000 more, 300 is spent at a merchant, and one more card is issued.
ctx.clock.set('2026-04-15T10:00:00+08:00');
const scale = issuers[0]!;
await post('bulk_load', [{ account: account.cardValue(scale.card), asset: 'CNY', amount: 1_000 }, { account: account.issuer(scale.id), asset: 'CNY', amount: -1_000 }]);
await post('purchase', [{ account: account.cardValue(scale.card), asset: 'CNY', amount: -300 }, { account: 'merchant:1', asset: 'CNY', amount: 300 }]);
const p0 = (await ctx.db.pg.query('select * from programs where code = $1', ['P0'])).rows[0];
await newCard(p0.id, p0);

describe('purse report custody', () => {
  it('takes the outstanding value from report liability at the previous quarter end and applies each class ratio, rounded up', async () => {
    await recordCustody(ctx, { issuer: 'I-scale', quarter: '2026Q2', amount: '2000' });
    await recordCustody(ctx, { issuer: 'I-group', quarter: '2026Q2', amount: '9999' });
    const r = await custodyReport(ctx, { quarter: '2026Q2' });
    expect(r).toMatchObject({ quarter: '2026Q2', balance_date: '2026-03-31', from: '2026-04-01', to: '2026-06-30' });
    const liability = await liabilityReport(ctx, { asOf: '2026-03-31' });
    for (const row of r.rows) {
      const expected = liability.rows.filter((l) => l.issuer === row.issuer && l.asset === row.currency && l.kind === 'value').reduce((s, l) => s + l.outstanding, 0);
      expect(row.outstanding, row.issuer).toBe(expected);
    }
    expect(r.rows.map((x) => [x.issuer, x.custody_class, x.outstanding, x.ratio, x.required, x.custody, x.shortfall])).toEqual([
      ['I-brand', 'brand', 12_345, '40%', 4_938, null, null],
      ['I-group', 'group', 12_345, '30%', 3_704, 9_999, 0], // 3,703.5 rounded up
      ['I-other', 'other', 12_345, null, null, null, null],
      ['I-scale', 'scale', 12_345, '20%', 2_469, 2_000, 469],
    ]);
    expect(r.rows.find((x) => x.issuer === 'I-scale')).toMatchObject({ cards_issued: 1, value_loaded: 1_000, value_redeemed: 300 });
    expect(r.rows.find((x) => x.issuer === 'I-brand')).toMatchObject({ cards_issued: 0, value_loaded: 0, value_redeemed: 0 });
    // Q1 from the ledger's start: nothing was outstanding at the end of 2025Q4; the four cards were issued in Q1.
    const q1 = await custodyReport(ctx, { quarter: '2026Q1' });
    expect(q1.rows.map((x) => [x.outstanding, x.cards_issued, x.value_loaded])).toEqual(classes.map(() => [0, 1, 12_345]));
  });

  it('runs from the CLI: issuer add|update --custody-class, issuer custody, report custody --json', async () => {
    const add = await runCli(['issuer', 'add', '--code', 'I-new', '--custody-class', 'brand', '--json'], ctx.env);
    expect(JSON.parse(add.stdout)).toMatchObject({ code: 'I-new', custody_class: 'brand' });
    const bad = await runCli(['issuer', 'add', '--code', 'I-bad', '--custody-class', 'huge'], ctx.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('custody_class must be one of scale, group, brand, other');
    const upd = await runCli(['issuer', 'update', '--code', 'I-new', '--custody-class', 'scale', '--json'], ctx.env);
    expect(JSON.parse(upd.stdout)).toMatchObject({ custody_class: 'scale' });
    expect((await runCli(['issuer', 'custody', '--issuer', 'I-new', '--quarter', '2026Q2', '--amount', '5'], ctx.env)).code).toBe(0);
    const rep = await runCli(['report', 'custody', '--quarter', '2026Q2', '--json'], ctx.env);
    expect(rep.code, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout).rows.find((x: { issuer: string }) => x.issuer === 'I-new')).toMatchObject({ ratio: '20%', required: 0, custody: 5, shortfall: 0 });
    const text = await runCli(['report', 'custody', '--quarter', '2026Q2'], ctx.env);
    expect(text.stdout).toMatch(/I-scale\s+发卡机构0\s+scale\s+CNY\s+123\.45\s+20%\s+24\.69\s+20\.00\s+4\.69/);
    expect((await runCli(['report', 'custody', '--quarter', '2026-Q2'], ctx.env)).code).toBe(1);
    await expect(updateIssuer(ctx, { code: 'NOPE', custodyClass: 'group' })).rejects.toMatchObject({ code: 'not_found' });
  });
});
