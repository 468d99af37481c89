import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { readPersonalization, tempDir } from '../helpers/batch.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { issueCards } from '../../src/cards/issue.js';
import { luhnValid } from '../../src/cards/luhn.js';
import { panToken, decrypt } from '../../src/cards/vault.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { account } from '../../src/ledger/accounts.js';

const ctx = await testContext({ now: '2028-02-29T10:00:00+08:00' });
const dir = tempDir();
await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
const issuerId = (await ctx.db.pg.query('select id from issuers where code = $1', ['ISS'])).rows[0].id as number;
await addProgram(ctx, { code: 'GIFT', issuer: 'ISS', bin: '622000', issuanceFee: 50 });
await addProgram(ctx, { code: 'ACT', issuer: 'ISS', bin: '62200187', panLength: 19, activateOnIssue: true });
await addProgram(ctx, { code: 'NAMED', issuer: 'ISS', bin: '623000', named: true });

describe('purse cards issue', () => {
  it('issues 100,000 distinct Luhn-valid PANs within the BIN, none of them in clear in the database', async () => {
    const out = path.join(dir, 'big.csv');
    const result = await issueCards(ctx, { program: 'GIFT', count: 100_000, batch: 'BIG', out });
    const rows = readPersonalization(out);
    expect(rows).toHaveLength(100_000);
    const pans = new Set(rows.map((r) => r.pan));
    expect(pans.size).toBe(100_000);
    expect([...pans].filter((pan) => pan.length !== 16 || !pan.startsWith('622000') || !luhnValid(pan))).toEqual([]);
    expect(result.count).toBe(100_000);
    // Every card is stored as the token, last 4 and ciphertext of exactly the PAN in the file.
    const { rows: cards } = await ctx.db.pg.query('select c.id, pan_token, pan_last4, pan_cipher, key_id from cards c join card_batches b on b.id = c.batch_id where b.reference = $1', ['BIG']);
    expect(cards).toHaveLength(100_000);
    const byId = new Map(rows.map((r) => [r.cardId, r.pan]));
    for (const c of cards.slice(0, 2000)) {
      const pan = byId.get(c.id)!;
      expect(c.pan_token.equals(panToken(ctx.keys, pan))).toBe(true);
      expect(c.pan_last4).toBe(pan.slice(-4));
      expect(decrypt(ctx.keys, c.pan_cipher, c.key_id)).toBe(pan);
      expect(c.pan_cipher.includes(Buffer.from(pan))).toBe(false);
    }
    // No table holds any of the PANs as a digit run in its text form.
    const { rows: tables } = await ctx.db.pg.query(`select tablename from pg_tables where schemaname = 'public'`);
    let scanned = 0;
    for (const { tablename } of tables) {
      const { rows: texts } = await ctx.db.pg.query(`select t::text as row from ${tablename} t`);
      for (const { row } of texts) {
        scanned++;
        const leaked = (row.match(/\d{16}/g) ?? []).filter((run: string) => pans.has(run));
        if (leaked.length) throw new Error(`${tablename} holds a PAN in clear`);
      }
    }
    expect(scanned).toBeGreaterThan(200_000);
  });

  it('draws PANs at random, not in sequence', async () => {
    const rows = readPersonalization(path.join(dir, 'big.csv')).slice(0, 1000);
    const gaps = rows.slice(1).map((r, i) => Math.abs(Number(r.pan.slice(6, 15)) - Number(rows[i]!.pan.slice(6, 15))));
    gaps.sort((a, b) => a - b);
    // Random 9-digit bodies: the median gap between neighbours is about 3×10^8; a sequence gives 1.
    expect(gaps[500]!).toBeGreaterThan(10_000_000);
  });

  it('writes the personalization file with mode 0600, header, expiry and trailer, and leaves no partial file', async () => {
    const out = path.join(dir, 'small.csv');
    await issueCards(ctx, { program: 'GIFT', count: 3, batch: 'SMALL', out });
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(out, 'utf8').split('\n');
    expect(text[0]).toBe('pan,expiry,card_id');
    expect(text[4]).toBe('TRAILER,3');
    expect(text).toHaveLength(6);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('expires a card issued on 29 February on the last day of the month 36 months later', async () => {
    const out = path.join(dir, 'leap.csv');
    const r = await issueCards(ctx, { program: 'GIFT', count: 2, batch: 'LEAP', out });
    expect(r.expiry).toBe('2031-02-28');
    expect(readPersonalization(out).map((x) => x.expiry)).toEqual(['2031-02-28', '2031-02-28']);
    const { rows } = await ctx.db.pg.query(`select distinct expiry_date from cards c join card_batches b on b.id = c.batch_id where b.reference = 'LEAP'`);
    expect(rows).toEqual([{ expiry_date: '2031-02-28' }]);
  });

  it('creates cards issued, or active when the program activates on issue, each with an empty value account', async () => {
    const a = await issueCards(ctx, { program: 'ACT', count: 5, batch: 'A1', out: path.join(dir, 'act.csv') });
    expect(a.status).toBe('active');
    const pans = readPersonalization(path.join(dir, 'act.csv')).map((r) => r.pan);
    expect(pans.every((p) => p.length === 19 && p.startsWith('62200187') && luhnValid(p))).toBe(true);
    const { rows } = await ctx.db.pg.query(`
      select c.status, c.activated_at is not null as activated, a.asset, a.balance, b.reference
      from cards c join card_batches b on b.id = c.batch_id join card_accounts a on a.card_id = c.id
      where b.reference in ('A1', 'SMALL') order by b.reference`);
    expect(rows.filter((r) => r.reference === 'A1').every((r) => r.status === 'active' && r.activated)).toBe(true);
    expect(rows.filter((r) => r.reference === 'SMALL').every((r) => r.status === 'issued' && !r.activated)).toBe(true);
    expect(rows.every((r) => r.asset === 'CNY' && r.balance === 0)).toBe(true);
    expect(rows).toHaveLength(8);
  });

  it('leaves the expiry empty for named cards', async () => {
    const out = path.join(dir, 'named.csv');
    const r = await issueCards(ctx, { program: 'NAMED', count: 2, batch: 'N1', out });
    expect(r.expiry).toBeNull();
    expect(readPersonalization(out).map((x) => x.expiry)).toEqual(['', '']);
  });

  it('charges the issuance fee once per batch: issuer −fee×n, revenue:card_fees +fee×n', async () => {
    const r = await issueCards(ctx, { program: 'GIFT', count: 4, batch: 'FEE', out: path.join(dir, 'fee.csv') });
    expect(r.fee).toEqual({ per_card: 50, total: 200, entry_id: expect.any(Number) });
    const { rows } = await ctx.db.pg.query('select account, asset, amount, entry_kind from postings where entry_id = $1 order by amount', [r.fee!.entry_id]);
    expect(rows).toEqual([
      { account: account.issuer(issuerId), asset: 'CNY', amount: -200, entry_kind: 'card_fee' },
      { account: account.revenue('card_fees'), asset: 'CNY', amount: 200, entry_kind: 'card_fee' },
    ]);
    const { rows: [e] } = await ctx.db.pg.query('select memo from entries where id = $1', [r.fee!.entry_id]);
    expect(e.memo).toMatchObject({ batch: 'FEE', cards: 4 });
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('issues nothing twice when re-run with the same batch, and rewrites the same file', async () => {
    const out = path.join(dir, 'again.csv');
    const first = await issueCards(ctx, { program: 'GIFT', count: 10, batch: 'AGAIN', out });
    const before = fs.readFileSync(out, 'utf8');
    const counts = async () => (await ctx.db.pg.query('select (select count(*) from cards)::int as cards, (select count(*) from entries)::int as entries')).rows[0];
    const c0 = await counts();
    fs.rmSync(out);
    const again = await issueCards(ctx, { program: 'GIFT', count: 10, batch: 'AGAIN', out });
    expect(again.already_issued).toBe(true);
    expect(again.fee).toBeNull();
    expect([again.first_card_id, again.last_card_id]).toEqual([first.first_card_id, first.last_card_id]);
    expect(await counts()).toEqual(c0);
    expect(fs.readFileSync(out, 'utf8')).toBe(before);
    await expect(issueCards(ctx, { program: 'GIFT', count: 11, batch: 'AGAIN', out })).rejects.toThrow(/already issued with 10 cards/);
    expect(await counts()).toEqual(c0);
  });

  it('refuses bad input naming the field, issuing nothing', async () => {
    const before = (await ctx.db.pg.query('select count(*)::int as n from cards')).rows[0].n;
    await expect(issueCards(ctx, { program: 'GIFT', count: '0' })).rejects.toMatchObject({ field: 'count' });
    await expect(issueCards(ctx, { program: 'GIFT', count: '1e3' })).rejects.toMatchObject({ field: 'count' });
    await expect(issueCards(ctx, { program: 'NOPE', count: 1 })).rejects.toMatchObject({ field: 'program' });
    await expect(issueCards(ctx, { program: 'GIFT', count: 1, batch: '../x' })).rejects.toMatchObject({ field: 'batch' });
    expect((await ctx.db.pg.query('select count(*)::int as n from cards')).rows[0].n).toBe(before);
  });

  it('purse cards issue --json prints the result and writes the default file under batches/out', async () => {
    const cwd = tempDir();
    const r = await runCliIn(cwd, ['cards', 'issue', '--program', 'GIFT', '--count', '2', '--batch', 'CLI', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ program: 'GIFT', batch: 'CLI', count: 2, already_issued: false, file: path.join(cwd, 'batches/out/GIFT-CLI.csv') });
    expect(readPersonalization(json.file)).toHaveLength(2);
    expect(r.stderr).not.toMatch(/\d{16}/);
  });

  it('purse cards issue (drawing on a worker thread) issues distinct Luhn-valid PANs stored only as tokens, and a re-run issues nothing twice', async () => {
    const out = path.join(dir, 'cli-worker.csv');
    const args = ['cards', 'issue', '--program', 'ACT', '--count', '25000', '--batch', 'W1', '--out', out, '--json'];
    const r = await runCli(args, ctx.env);
    expect(r.code, r.stderr).toBe(0);
    const rows = readPersonalization(out);
    const pans = new Set(rows.map((x) => x.pan));
    expect(pans.size).toBe(25_000);
    expect([...pans].filter((p) => p.length !== 19 || !p.startsWith('62200187') || !luhnValid(p))).toEqual([]);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    const { rows: cards } = await ctx.db.pg.query<{ id: number; pan_token: Buffer }>(
      `select c.id, c.pan_token from cards c join card_batches b on b.id = c.batch_id where b.reference = 'W1'`);
    const byId = new Map(rows.map((x) => [x.cardId, x.pan]));
    expect(cards).toHaveLength(25_000);
    expect(cards.every((c) => c.pan_token.equals(panToken(ctx.keys, byId.get(c.id)!)))).toBe(true);
    const before = fs.readFileSync(out, 'utf8');
    const again = await runCli(args, ctx.env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ already_issued: true, count: 25_000, fee: null });
    expect(fs.readFileSync(out, 'utf8')).toBe(before);
    const { rows: [n] } = await ctx.db.pg.query(`select count(*)::int as n from cards c join card_batches b on b.id = c.batch_id where b.reference = 'W1'`);
    expect(n.n).toBe(25_000);
    expect(r.stderr + again.stderr).not.toMatch(/\d{16}/);
  });
});

function runCliIn(cwd: string, args: string[]) {
  const prev = process.cwd();
  process.chdir(cwd);
  try {
    return runCli(args, ctx.env);
  } finally {
    process.chdir(prev);
  }
}
