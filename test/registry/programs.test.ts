import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { expectRefused } from '../helpers/registry.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addScheme } from '../../src/registry/schemes.js';
import { addProgram, listPrograms, showProgram, PRC, type ProgramInput } from '../../src/registry/programs.js';

const ctx = await testContext();
await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addScheme(ctx, { code: 'PTS', issuePrice: '1', redemptionValue: '1' });

const base = { issuer: 'ISS', bin: '622000' };

describe('programs', () => {
  it('stores every field of design §3 as given and shows it back', async () => {
    const input: ProgramInput = {
      code: 'FULL', issuer: 'ISS', name: 'Full card', kind: 'combo', currency: 'HKD', bin: '62212345', panLength: '19',
      named: false, maxBalance: '90000', validityMonths: '48', reloadable: false, requiresPin: true, activateOnIssue: true,
      holdExpiryDays: '3', issuanceFee: '500', replacementFee: '800', breakageMethod: 'proportional', breakageGraceDays: '60',
      breakageRateBps: '1200', escheat: true, dormancyMonths: '12', dormancyFee: '100', scheme: 'PTS',
    };
    const p = await addProgram(ctx, input);
    expect(p).toMatchObject({
      code: 'FULL', issuer: 'ISS', name: 'Full card', kind: 'combo', currency: 'HKD', bin: '62212345', pan_length: 19,
      named: false, max_balance: 90000, validity_months: 48, reloadable: false, requires_pin: true, activate_on_issue: true,
      hold_expiry_days: 3, issuance_fee: 500, replacement_fee: 800, breakage_method: 'proportional', breakage_grace_days: 60,
      breakage_rate_bps: 1200, escheat: true, dormancy_months: 12, dormancy_fee: 100, scheme: 'PTS',
    });
    expect(await showProgram(ctx, 'FULL')).toEqual(p);
    expect((await listPrograms(ctx)).map((x) => x.code)).toContain('FULL');
  });

  it('gives an anonymous program the PRC defaults: 100000 fen maximum, 36 months', async () => {
    const p = await addProgram(ctx, { ...base, code: 'ANON' });
    expect(PRC.anonymousMaxBalance).toBe(100_000);
    expect(p).toMatchObject({
      kind: 'stored_value', currency: 'CNY', pan_length: 16, named: false, max_balance: 100_000, validity_months: 36,
      reloadable: true, requires_pin: false, activate_on_issue: false, hold_expiry_days: 7, issuance_fee: 0, replacement_fee: 0,
      breakage_method: 'remote', breakage_grace_days: 30, breakage_rate_bps: null, escheat: false, dormancy_months: null,
      dormancy_fee: 0, scheme: null,
    });
  });

  it('gives a named program a 500000 fen maximum and no expiry', async () => {
    const p = await addProgram(ctx, { ...base, code: 'NAMED', named: true });
    expect(p).toMatchObject({ named: true, max_balance: 500_000, validity_months: null });
  });

  it('refuses an anonymous validity under 36 months and any validity on a named program', async () => {
    await expectRefused(ctx.db.pg, () => addProgram(ctx, { ...base, code: 'SHORT', validityMonths: '35' }), 'validity_months');
    await expectRefused(ctx.db.pg, () => addProgram(ctx, { ...base, code: 'NAMEDV', named: true, validityMonths: '36' }), 'validity_months');
    expect((await addProgram(ctx, { ...base, code: 'EXACT36', validityMonths: '36' })).validity_months).toBe(36);
  });

  it.each([
    ['an unknown issuer', { issuer: 'NOPE' }, 'issuer'],
    ['a BIN with letters', { bin: '62A000' }, 'bin'],
    ['a BIN of 5 digits', { bin: '62200' }, 'bin'],
    ['a BIN of 9 digits', { bin: '622000000' }, 'bin'],
    ['a PAN length of 15', { panLength: '15' }, 'pan_length'],
    ['a PAN length of 20', { panLength: '20' }, 'pan_length'],
    ['an unknown kind', { kind: 'gift' }, 'kind'],
    ['a lower-case currency', { currency: 'cny' }, 'currency'],
    ['a negative maximum balance', { maxBalance: '-1' }, 'max_balance'],
    ['a fractional maximum balance', { maxBalance: '10.5' }, 'max_balance'],
    ['a zero hold expiry', { holdExpiryDays: '0' }, 'hold_expiry_days'],
    ['a negative issuance fee', { issuanceFee: '-5' }, 'issuance_fee'],
    ['a negative replacement fee', { replacementFee: '-5' }, 'replacement_fee'],
    ['an unknown breakage method', { breakageMethod: 'magic' }, 'breakage_method'],
    ['a breakage rate above 100%', { breakageRateBps: '10001' }, 'breakage_rate_bps'],
    ['a negative breakage grace period', { breakageGraceDays: '-1' }, 'breakage_grace_days'],
    ['a dormancy fee without a dormancy period', { dormancyFee: '100' }, 'dormancy_months'],
    ['a combo program without a scheme', { kind: 'combo' }, 'scheme'],
    ['an unknown scheme', { kind: 'points', scheme: 'NOPE' }, 'scheme'],
    ['a non-boolean named flag', { named: 'perhaps' }, 'named'],
  ] as const)('refuses %s, naming the field and changing nothing', async (_what, bad, field) => {
    await expectRefused(ctx.db.pg, () => addProgram(ctx, { ...base, code: 'BAD', ...bad }), field);
  });

  it('refuses a duplicate program code', async () => {
    await expectRefused(ctx.db.pg, () => addProgram(ctx, { ...base, code: 'ANON' }), 'code');
  });

  it('reports an unknown program on show', async () => {
    await expectRefused(ctx.db.pg, () => showProgram(ctx, 'NOPE'), 'code');
  });
});
