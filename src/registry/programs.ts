import { sql } from 'slonik';
import type { Context } from '../context.js';
import { auditSql, type Actor } from '../admin/audit.js';
import * as v from './validate.js';
import { idOf, insertUnique } from './lookup.js';
import { InputError, NotFoundError } from '../errors.js';

/** PRC prepaid-card defaults (design §3). */
export const PRC = { anonymousMaxBalance: 100_000, namedMaxBalance: 500_000, anonymousMinValidityMonths: 36 } as const;

export interface Program {
  id: number; code: string; issuer: string; name: string; kind: 'stored_value' | 'points' | 'combo'; currency: string;
  bin: string; pan_length: number; named: boolean; max_balance: number; validity_months: number | null;
  reloadable: boolean; requires_pin: boolean; activate_on_issue: boolean; hold_expiry_days: number;
  issuance_fee: number; replacement_fee: number; breakage_method: 'remote' | 'proportional'; breakage_grace_days: number;
  breakage_rate_bps: number | null; escheat: boolean; dormancy_months: number | null; dormancy_fee: number;
  scheme: string | null; created_at: string;
}

export interface ProgramInput {
  code: unknown; issuer: unknown; name?: unknown; kind?: unknown; currency?: unknown; bin: unknown; panLength?: unknown;
  named?: unknown; maxBalance?: unknown; validityMonths?: unknown; reloadable?: unknown; requiresPin?: unknown;
  activateOnIssue?: unknown; holdExpiryDays?: unknown; issuanceFee?: unknown; replacementFee?: unknown;
  breakageMethod?: unknown; breakageGraceDays?: unknown; breakageRateBps?: unknown; escheat?: unknown;
  dormancyMonths?: unknown; dormancyFee?: unknown; scheme?: unknown;
}

const SELECT = sql.fragment`
  select p.id, p.code, i.code as issuer, p.name, p.kind, p.currency, p.bin, p.pan_length, p.named, p.max_balance,
         p.validity_months, p.reloadable, p.requires_pin, p.activate_on_issue, p.hold_expiry_days, p.issuance_fee,
         p.replacement_fee, p.breakage_method, p.breakage_grace_days, p.breakage_rate_bps, p.escheat,
         p.dormancy_months, p.dormancy_fee, s.code as scheme, p.created_at
  from programs p join issuers i on i.id = p.issuer_id left join schemes s on s.id = p.scheme_id`;

const opt = <T>(value: unknown, dflt: T, parse: (x: unknown) => T): T => (value === undefined || value === null || value === '' ? dflt : parse(value));

/**
 * Registers a card program with the PRC defaults: anonymous cards hold at most 100000 fen and are
 * valid at least 36 months; named cards hold at most 500000 fen and never expire.
 */
export async function addProgram(ctx: Context, input: ProgramInput, actor?: Actor): Promise<Program> {
  const code = v.code(input.code);
  const issuerCode = v.code(input.issuer, 'issuer');
  const kind = opt(input.kind, 'stored_value' as const, (x) => v.oneOf(x, 'kind', ['stored_value', 'points', 'combo'] as const));
  const bin = input.bin;
  if (typeof bin !== 'string' || !/^[0-9]{6,8}$/.test(bin)) throw new InputError('invalid_bin', 'bin must be 6 to 8 digits', 'bin');
  const panLength = opt(input.panLength, 16, (x) => v.int(x, 'pan_length', 16, 19));
  const named = opt(input.named, false, (x) => v.bool(x, 'named'));
  const maxBalance = opt(input.maxBalance, named ? PRC.namedMaxBalance : PRC.anonymousMaxBalance, (x) => v.int(x, 'max_balance', 1, 1e12));
  let validity: number | null = null;
  if (named) {
    if (input.validityMonths !== undefined && input.validityMonths !== null && input.validityMonths !== '') {
      throw new InputError('named_no_expiry', 'validity_months must not be set: named cards have no expiry (PRC rules)', 'validity_months');
    }
  } else {
    validity = opt(input.validityMonths, PRC.anonymousMinValidityMonths, (x) => v.int(x, 'validity_months', 1, 1200));
    if (validity < PRC.anonymousMinValidityMonths) {
      throw new InputError('validity_too_short', `validity_months must be at least ${PRC.anonymousMinValidityMonths} for anonymous cards (PRC rules)`, 'validity_months');
    }
  }
  // A named card is activated once its holder is linked (design §10), never on issue.
  if (named && opt(input.activateOnIssue, false, (x) => v.bool(x, 'activate_on_issue'))) {
    throw new InputError('named_activate_on_issue', 'activate_on_issue is refused for named programs: a named card is activated after its holder is linked', 'activate_on_issue');
  }
  const schemeCode = opt(input.scheme, null as string | null, (x) => v.code(x, 'scheme'));
  if (kind !== 'stored_value' && !schemeCode) throw new InputError('scheme_required', `scheme is required for a ${kind} program`, 'scheme');
  const row = {
    name: v.name(input.name ?? code),
    currency: opt(input.currency, 'CNY', (x) => v.currency(x)),
    reloadable: opt(input.reloadable, true, (x) => v.bool(x, 'reloadable')),
    requiresPin: opt(input.requiresPin, false, (x) => v.bool(x, 'requires_pin')),
    activateOnIssue: opt(input.activateOnIssue, false, (x) => v.bool(x, 'activate_on_issue')),
    holdExpiryDays: opt(input.holdExpiryDays, 7, (x) => v.int(x, 'hold_expiry_days', 1, 90)),
    issuanceFee: opt(input.issuanceFee, 0, (x) => v.int(x, 'issuance_fee', 0, 1e9)),
    replacementFee: opt(input.replacementFee, 0, (x) => v.int(x, 'replacement_fee', 0, 1e9)),
    breakageMethod: opt(input.breakageMethod, 'remote' as const, (x) => v.oneOf(x, 'breakage_method', ['remote', 'proportional'] as const)),
    breakageGraceDays: opt(input.breakageGraceDays, 30, (x) => v.int(x, 'breakage_grace_days', 0, 36500)),
    breakageRateBps: v.optionalInt(input.breakageRateBps, 'breakage_rate_bps', 0, 10000),
    escheat: opt(input.escheat, false, (x) => v.bool(x, 'escheat')),
    dormancyMonths: v.optionalInt(input.dormancyMonths, 'dormancy_months', 1, 600),
    dormancyFee: opt(input.dormancyFee, 0, (x) => v.int(x, 'dormancy_fee', 0, 1e9)),
  };
  if (row.dormancyFee > 0 && row.dormancyMonths === null) throw new InputError('dormancy_period_required', 'dormancy_months is required with a dormancy_fee', 'dormancy_months');

  return ctx.db.sql.transaction(async (tx) => {
    const issuerId = await idOf(tx, 'issuers', issuerCode, 'issuer');
    const schemeId = schemeCode ? await idOf(tx, 'schemes', schemeCode, 'scheme') : null;
    await insertUnique('program', code, 'code', () => tx.query(sql.unsafe`
      insert into programs (code, issuer_id, name, kind, currency, bin, pan_length, named, max_balance, validity_months,
        reloadable, requires_pin, activate_on_issue, hold_expiry_days, issuance_fee, replacement_fee, breakage_method,
        breakage_grace_days, breakage_rate_bps, escheat, dormancy_months, dormancy_fee, scheme_id)
      values (${code}, ${issuerId}, ${row.name}, ${kind}, ${row.currency}, ${bin}, ${panLength}, ${named}, ${maxBalance}, ${validity},
        ${row.reloadable}, ${row.requiresPin}, ${row.activateOnIssue}, ${row.holdExpiryDays}, ${row.issuanceFee}, ${row.replacementFee},
        ${row.breakageMethod}, ${row.breakageGraceDays}, ${row.breakageRateBps}, ${row.escheat}, ${row.dormancyMonths},
        ${row.dormancyFee}, ${schemeId})`));
    const program = (await tx.one(sql.unsafe`${SELECT} where p.code = ${code}`)) as Program;
    if (actor) await auditSql(tx, ctx, actor, { action: 'program.add', target: `program:${code}`, outcome: 'ok', after: program });
    return program;
  });
}

export async function listPrograms(ctx: Context): Promise<Program[]> {
  return (await ctx.db.sql.any(sql.unsafe`${SELECT} order by p.code`)) as Program[];
}

export async function showProgram(ctx: Context, code: string): Promise<Program> {
  const row = await ctx.db.sql.maybeOne(sql.unsafe`${SELECT} where p.code = ${code}`);
  if (!row) throw new NotFoundError('program', code, 'code');
  return row as Program;
}
