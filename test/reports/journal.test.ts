import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { testContext } from '../helpers/db.js';
import { seedBasics } from '../helpers/seed.js';
import { tempDir } from '../helpers/batch.js';
import { runCli } from '../helpers/cli.js';
import { addMerchant } from '../../src/registry/merchants.js';
import { addChannel } from '../../src/registry/channels.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry, type Entry, type EntryKind, type Posting } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { settleBusinessDate } from '../../src/settlement/settle.js';
import { writeJournal } from '../../src/reports/journal.js';
import { accountClass, DEFAULT_MAPPING_CSV, glAccountOf, parseMapping } from '../../src/reports/journal-mapping.js';

// A randomized business day (seeded, printed on failure) of every money flow the ledger test
// helpers can post without the daemon, plus a manual adjustment (entry kind `adjustment` against
// suspense:adjustments, which the management API will post) and ASC 606 memo entries.
const SEED = Number(process.env.JOURNAL_SEED ?? Date.now() % 1_000_000);
let state = SEED;
const rand = (n: number) => {
  state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
  return Math.floor((state / 2_147_483_648) * n);
};
const ctx = await testContext();
const D = '2026-03-10';
ctx.clock.set('2026-03-10T08:00:00+08:00');
const seed = await seedBasics(ctx, 6);
const merchants = [await addMerchant(ctx, { code: 'M1', name: '职工食堂', commissionBps: 150 }), await addMerchant(ctx, { code: 'M2', name: 'Shop', commissionBps: 80 })];
const channel = await addChannel(ctx, { code: 'CH', merchants: ['M1', 'M2'], feeFixed: 1, feeBps: 10 });
const r = (x: number) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
const balances = new Map(seed.cardIds.map((id) => [id, 0]));

function randomEntry(): Entry {
  const card = seed.cardIds[rand(seed.cardIds.length)]!;
  const m = merchants[rand(2)]!;
  const at = { occurredAt: ctx.clock.now(), merchantId: m.id, channelId: channel.id };
  const bal = balances.get(card)!;
  const legs: Posting[] = [];
  let kind: EntryKind | 'adjustment';
  const pick = rand(8);
  if (pick === 0 || bal < 1000) {
    const a = 1 + rand(50_000);
    kind = 'bulk_load';
    legs.push({ account: account.cardValue(card), asset: 'CNY', amount: a }, { account: account.issuer(seed.issuerId), asset: 'CNY', amount: -a });
  } else if (pick <= 2) {
    const a = 1 + rand(bal);
    const f = r((a * m.commission_bps) / 10_000);
    const c = 1 + r(a / 1000);
    kind = 'purchase';
    legs.push({ account: account.cardValue(card), asset: 'CNY', amount: -a }, { account: account.merchant(m.id), asset: 'CNY', amount: a - f },
      { account: account.revenue('merchant_commission'), asset: 'CNY', amount: f },
      { account: account.channel(channel.id), asset: 'CNY', amount: c }, { account: account.revenue('channel_fees'), asset: 'CNY', amount: -c });
  } else if (pick === 3) {
    const x = 1 + rand(5000);
    const fx = r((x * m.commission_bps) / 10_000);
    kind = 'refund';
    legs.push({ account: account.cardValue(card), asset: 'CNY', amount: x }, { account: account.merchant(m.id), asset: 'CNY', amount: -(x - fx) },
      { account: account.revenue('merchant_commission'), asset: 'CNY', amount: -fx });
  } else if (pick === 4) {
    const fee = 1 + rand(1000);
    kind = 'card_fee';
    legs.push({ account: account.issuer(seed.issuerId), asset: 'CNY', amount: -fee }, { account: account.revenue('card_fees'), asset: 'CNY', amount: fee });
  } else if (pick === 5) {
    const d = 1 + rand(Math.min(bal, 500));
    kind = 'dormancy_fee';
    legs.push({ account: account.cardValue(card), asset: 'CNY', amount: -d }, { account: account.revenue('dormancy_fees'), asset: 'CNY', amount: d });
  } else if (pick === 6) {
    const x = 1 + rand(10_000);
    kind = 'breakage_memo';
    legs.push({ account: account.memo('breakage_income', seed.issuerId), asset: 'CNY', amount: x }, { account: account.memo('breakage_reserve', seed.programId), asset: 'CNY', amount: -x });
  } else {
    const a = (1 + rand(300)) * (rand(2) === 0 ? 1 : -1);
    kind = 'adjustment';
    legs.push({ account: account.cardValue(card), asset: 'CNY', amount: a }, { account: 'suspense:adjustments', asset: 'CNY', amount: -a });
  }
  const after = bal + legs.filter((l) => l.account === account.cardValue(card)).reduce((x, l) => x + l.amount, 0);
  if (after < 0 || after > 100_000) return randomEntry(); // the program's maximum balance (invariant 2)
  balances.set(card, after);
  return balancedEntry(kind as EntryKind, legs, at);
}

await withTransaction(ctx.db.pg, async (c) => {
  const d = await openBusinessDate(c, ctx.clock.now(), ctx.calendar);
  for (let i = 0; i < 300; i++) await postEntries(c, d, [randomEntry()]);
});
ctx.clock.set('2026-03-11T00:10:00+08:00');
const dir = tempDir('purse-journal-');
await settleBusinessDate(ctx, { date: D, out: path.join(dir, 'settlement') });

describe(`purse report journal (seed ${SEED})`, () => {
  it('balances per voucher and in total; its totals per GL code equal the ledger postings of the date', async () => {
    const j = await writeJournal(ctx, { date: D, out: dir, amounts: 'fen' });
    for (const v of j.vouchers) expect(v.debit, v.voucher_no).toBe(v.credit);
    expect(j.totals).toHaveLength(1);
    expect(j.totals[0]!.debit).toBe(j.totals[0]!.credit);
    expect(j.totals[0]!.debit).toBeGreaterThan(0);

    // Independently: every account's postings of the date, mapped one account at a time in TypeScript.
    const mapping = parseMapping(DEFAULT_MAPPING_CSV, 'default');
    const { rows } = await ctx.db.pg.query<{ account: string; entry_kind: string; amount: string }>(`
      select account, entry_kind, sum(amount)::text as amount from postings
      where business_date = $1 and asset = 'CNY' group by account, entry_kind`, [D]);
    const ledger = new Map<string, bigint>();
    for (const p of rows) {
      const gl = glAccountOf(mapping, accountClass(p.account), p.entry_kind)!;
      ledger.set(gl.gl_code, (ledger.get(gl.gl_code) ?? 0n) + BigInt(p.amount));
    }
    const journal = new Map<string, bigint>();
    for (const l of j.lines) journal.set(l.gl_code, (journal.get(l.gl_code) ?? 0n) + BigInt(l.credit) - BigInt(l.debit));
    for (const [code, v] of ledger) if (v === 0n) ledger.delete(code);
    for (const [code, v] of journal) if (v === 0n) journal.delete(code);
    expect(journal).toEqual(ledger);
    // The day's settlement moved party positions to settled:<party>, so those are in the journal too.
    expect([...journal.keys()]).toEqual(expect.arrayContaining(['224101', '220211']));
    expect((await verifyLedger(ctx.db.pg)).violations).toEqual([]);
  });

  it('numbers one voucher per entry kind in kind order, memo and adjustment vouchers included, positive net as credit', async () => {
    const j = await writeJournal(ctx, { date: D, out: dir });
    const kinds = j.vouchers.map((v) => v.entry_kind);
    expect(kinds).toEqual([...kinds].sort());
    expect(kinds).toEqual(expect.arrayContaining(['adjustment', 'breakage_memo', 'bulk_load', 'settlement']));
    expect(j.vouchers.map((v) => v.voucher_no)).toEqual(kinds.map((_, i) => `20260310-${String(i + 1).padStart(4, '0')}`));
    // A bulk load: card balances up (credit the cardholders' payable), the issuer's position down (debit).
    const load = j.lines.filter((l) => l.voucher_no === j.vouchers.find((v) => v.entry_kind === 'bulk_load')!.voucher_no);
    expect(load.map((l) => [l.gl_code, l.debit > 0 ? 'debit' : 'credit'])).toEqual([['224101', 'credit'], ['224102', 'debit']]);
    const memo = j.lines.filter((l) => l.summary.startsWith('沉淀预估'));
    expect(memo.map((l) => l.gl_code)).toEqual(['990101', '990102']);
    const text = fs.readFileSync(j.file, 'utf8');
    expect(text.startsWith('\uFEFFdate,voucher_no,summary,gl_code,gl_name,currency,debit,credit\n')).toBe(true);
    const first = (parse(text.slice(1), { columns: true }) as Record<string, string>[])[0]!;
    expect(first.voucher_no).toBe('20260310-0001');
    expect(first.debit).toMatch(/^\d+\.\d{2}$/);
  });

  it('refuses a mapping that leaves a posting unmapped, naming it, and writes nothing', async () => {
    const mapping = path.join(dir, 'partial-mapping.csv');
    fs.writeFileSync(mapping, DEFAULT_MAPPING_CSV.split('\n').filter((l) => !l.startsWith('suspense:adjustments')).join('\n'));
    const out = path.join(dir, 'unmapped');
    await expect(writeJournal(ctx, { date: D, out, mapping })).rejects.toMatchObject({
      code: 'unmapped_posting', message: expect.stringContaining('suspense:adjustments'),
    });
    expect(fs.existsSync(out)).toBe(false);
    fs.writeFileSync(mapping, 'account_class,entry_kind,gl_code,gl_name\nbank,*,1002,银行存款\nbank,*,1003,again\n');
    await expect(writeJournal(ctx, { date: D, out, mapping })).rejects.toMatchObject({ message: expect.stringContaining('line 3: bank,* is mapped twice') });
  });

  it('matches the documented default mapping in batches/examples, and runs from the CLI with --xlsx', async () => {
    expect(fs.readFileSync(path.resolve(import.meta.dirname, '../../batches/examples/journal-mapping.csv'), 'utf8')).toBe(DEFAULT_MAPPING_CSV);
    const cli = await runCli(['report', 'journal', '--date', D, '--out', path.join(dir, 'cli'), '--xlsx', '--json'], ctx.env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).file).toMatch(/journal-2026-03-10\.xlsx$/);
    const unsettled = await runCli(['report', 'journal', '--date', '2026-03-11'], ctx.env);
    expect(unsettled.code).toBe(1);
    expect(unsettled.stderr).toContain('not settled');
  });
});
