import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { accountBalance, balanceOf, creditPoints, issueCard, load } from '../helpers/residual.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { addMerchant } from '../../src/registry/merchants.js';
import { addScheme } from '../../src/registry/schemes.js';
import { changeCardStatus, showCard } from '../../src/cards/lifecycle.js';
import { replaceCard } from '../../src/cards/replace.js';
import { cashOutCard } from '../../src/cards/cash-out.js';
import { panToken } from '../../src/cards/vault.js';
import { luhnCheckDigit, luhnValid } from '../../src/cards/luhn.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { account } from '../../src/ledger/accounts.js';

const ctx = await testContext();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-lifecycle-'));
const iss = await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
const s1 = await addScheme(ctx, { code: 'S1', issuePrice: '1', redemptionValue: '1' });
await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622012' });
await addProgram(ctx, { code: 'MEMBER', issuer: 'ISS', bin: '622013', kind: 'combo', named: true, scheme: 'S1', replacementFee: 200 });
const m = await addMerchant(ctx, { code: 'M1' });

const anon = await issueCard(ctx, 'SV');
await load(ctx, anon.id, iss.id, 3000);
const member = await issueCard(ctx, 'MEMBER', { holderRef: 'HOLDER-1' });
await load(ctx, member.id, iss.id, 5000);
await creditPoints(ctx, member.id, s1, m.id, 120);
const member2 = await issueCard(ctx, 'MEMBER');
await load(ctx, member2.id, iss.id, 2500);

const statusOf = async (id: number) =>
  (await ctx.db.pg.query<{ status: string; replaced_by: number | null }>('select status, replaced_by from cards where id = $1', [id])).rows[0]!;

describe('card lifecycle', () => {
  it('freezes an active card and unfreezes it, refusing the wrong starting status', async () => {
    expect(await changeCardStatus(ctx, { cardId: anon.id }, 'freeze')).toEqual({ card_id: anon.id, action: 'freeze', from_status: 'active', to_status: 'frozen' });
    await expect(changeCardStatus(ctx, { cardId: anon.id }, 'freeze')).rejects.toMatchObject({ code: 'invalid_status' });
    expect((await changeCardStatus(ctx, { pan: anon.pan }, 'unfreeze')).to_status).toBe('active');
    await expect(changeCardStatus(ctx, { cardId: anon.id }, 'unfreeze')).rejects.toMatchObject({ code: 'invalid_status' });
    expect((await statusOf(anon.id)).status).toBe('active');
  });

  it('refuses a card reference that names both or neither, or an unknown PAN without echoing it', async () => {
    await expect(showCard(ctx, {})).rejects.toMatchObject({ code: 'card_ref' });
    await expect(showCard(ctx, { cardId: anon.id, pan: anon.pan })).rejects.toMatchObject({ code: 'card_ref' });
    const unknown = `622012999999999${luhnCheckDigit('622012999999999')}`;
    const err = await showCard(ctx, { pan: unknown }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'not_found', field: 'pan' });
    expect((err as Error).message).not.toContain(unknown);
  });

  it('replace moves value and points to a new card, charges the fee and closes the old card', async () => {
    const file = path.join(dir, 'replacement.csv');
    const r = await replaceCard(ctx, { cardId: member.id }, { out: file });
    expect(r).toMatchObject({ old_card_id: member.id, value: 5000, points: { S1: 120 }, restored: 0, fee: 200, status: 'active', expiry_date: null, file });
    expect(await statusOf(member.id)).toEqual({ status: 'closed', replaced_by: r.new_card_id });
    expect(await balanceOf(ctx, member.id)).toBe(0);
    expect(await balanceOf(ctx, member.id, 'PTS:S1')).toBe(0);
    expect(await balanceOf(ctx, r.new_card_id)).toBe(5000);
    expect(await balanceOf(ctx, r.new_card_id, 'PTS:S1')).toBe(120);
    // lots follow the points
    const lots = await ctx.db.pg.query<{ card_id: number; remaining: number }>(
      'select card_id, sum(remaining)::bigint as remaining from points_lots group by card_id order by card_id');
    expect(lots.rows.filter((l) => l.card_id === member.id || l.card_id === r.new_card_id))
      .toEqual([{ card_id: member.id, remaining: 0 }, { card_id: r.new_card_id, remaining: 120 }]);
    expect(await accountBalance(ctx, account.revenue('card_fees'))).toBe(200);
    expect(await accountBalance(ctx, account.issuer(iss.id))).toBe(-3000 - 5000 - 2500 - 200);
    const { rows } = await ctx.db.pg.query<{ holder_ref: string }>('select holder_ref from cards where id = $1', [r.new_card_id]);
    expect(rows[0]!.holder_ref).toBe('HOLDER-1');

    // The personalization file: mode 0600, header, one card, trailer; the PAN is the new card's.
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toBe('pan,expiry,card_id');
    expect(lines[2]).toBe('TRAILER,1');
    const [pan, expiry, cardId] = lines[1]!.split(',');
    expect(expiry).toBe('');
    expect(Number(cardId)).toBe(r.new_card_id);
    expect(pan!.startsWith('622013') && luhnValid(pan!)).toBe(true);
    expect(r.masked_pan).toBe(`622013******${pan!.slice(-4)}`);
    const tok = await ctx.db.pg.query<{ id: number }>('select id from cards where pan_token = $1', [panToken(ctx.keys, pan!)]);
    expect(tok.rows[0]!.id).toBe(r.new_card_id);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('refuses to replace a closed card or to overwrite an existing file', async () => {
    await expect(replaceCard(ctx, { cardId: member.id }, { out: path.join(dir, 'again.csv') })).rejects.toMatchObject({ code: 'invalid_status' });
    expect(fs.existsSync(path.join(dir, 'again.csv'))).toBe(false);
    await expect(replaceCard(ctx, { cardId: anon.id }, { out: path.join(dir, 'replacement.csv') })).rejects.toMatchObject({ code: 'out_exists' });
    expect((await statusOf(anon.id)).status).toBe('active');
  });

  it('cash-out pays a named card out through its issuer and closes it; anonymous cards are refused', async () => {
    await expect(cashOutCard(ctx, { cardId: anon.id })).rejects.toMatchObject({ code: 'anonymous_card' });
    expect(await balanceOf(ctx, anon.id)).toBe(3000);
    const replacement = (await statusOf(member.id)).replaced_by!;
    await expect(cashOutCard(ctx, { cardId: replacement })).rejects.toMatchObject({ code: 'points_remaining' });

    const issuerBefore = await accountBalance(ctx, account.issuer(iss.id));
    const r = await cashOutCard(ctx, { pan: member2.pan });
    expect(r).toMatchObject({ card_id: member2.id, amount: 2500, status: 'closed' });
    expect(await balanceOf(ctx, member2.id)).toBe(0);
    expect(await accountBalance(ctx, account.issuer(iss.id))).toBe(issuerBefore + 2500);
    expect((await statusOf(member2.id)).status).toBe('closed');
    await expect(cashOutCard(ctx, { cardId: member2.id })).rejects.toMatchObject({ code: 'invalid_status' });
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('purse cards show never prints the PAN', async () => {
    const cli = await runCli(['cards', 'show', '--pan', anon.pan, '--json'], ctx.env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout + cli.stderr).not.toContain(anon.pan);
    const view = JSON.parse(cli.stdout);
    expect(view).toMatchObject({ card_id: anon.id, masked_pan: `622012******${anon.pan.slice(-4)}`, status: 'active',
      balance: { ledger: 3000, held: 0, available: 3000 }, points: {}, holds: [] });
    const human = await runCli(['cards', 'show', '--card-id', String(anon.id)], ctx.env);
    expect(human.stdout).not.toContain(anon.pan);
    expect(human.stdout).toContain('available 3000 CNY');
  });

  it('a card command naming no card, or both --card-id and --pan, is a usage error (exit 2)', async () => {
    for (const args of [['cards', 'show'], ['cards', 'freeze'], ['cards', 'show', '--card-id', String(anon.id), '--pan', anon.pan]]) {
      const cli = await runCli(args, ctx.env);
      expect(cli.code, args.join(' ')).toBe(2);
      expect(cli.stderr).toContain('exactly one of --card-id or --pan');
      expect(cli.stderr).not.toContain(anon.pan);
    }
  });

  it('purse cards mark-lost and replace by PAN print no PAN and write the file', async () => {
    expect((await runCli(['cards', 'mark-lost', '--pan', anon.pan], ctx.env)).code).toBe(0);
    const file = path.join(dir, 'lost.csv');
    const cli = await runCli(['cards', 'replace', '--pan', anon.pan, '--out', file, '--json'], ctx.env);
    expect(cli.code, cli.stderr).toBe(0);
    const newPan = fs.readFileSync(file, 'utf8').split('\n')[1]!.split(',')[0]!;
    expect(cli.stdout + cli.stderr).not.toContain(anon.pan);
    expect(cli.stdout + cli.stderr).not.toContain(newPan);
    const r = JSON.parse(cli.stdout);
    expect(r).toMatchObject({ old_card_id: anon.id, value: 3000, fee: 0 });
    expect(await balanceOf(ctx, r.new_card_id)).toBe(3000);
    expect((await showCard(ctx, { pan: newPan })).card_id).toBe(r.new_card_id);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });
});
