import { sql, type CommonQueryMethods } from 'slonik';
import type { Context } from '../context.js';
import * as v from './validate.js';
import { idOf, insertUnique } from './lookup.js';
import { InputError, NotFoundError } from '../errors.js';
import { auditSql, type Actor } from '../admin/audit.js';
import { WEB_SEAT } from '../admin/web-seat.js';

export interface Merchant {
  id: number; code: string; name: string; commission_bps: number;
  earn_scheme: string | null; earn_rate: number | null; earn_cap: number | null;
  alliances: string[]; programs: string[]; schemes: string[]; terminals: string[]; created_at: string;
}

export interface MerchantInput {
  code: unknown; name?: unknown; commissionBps?: unknown; earnScheme?: unknown; earnRate?: unknown; earnCap?: unknown;
  alliances?: unknown; programs?: unknown; schemes?: unknown;
}

const SELECT = sql.fragment`
  select m.id, m.code, m.name, m.commission_bps, s.code as earn_scheme, m.earn_rate, m.earn_cap, m.created_at,
    coalesce((select array_agg(a.code order by a.code) from merchant_alliances x join alliances a on a.id = x.alliance_id where x.merchant_id = m.id), '{}') as alliances,
    coalesce((select array_agg(p.code order by p.code) from merchant_programs x join programs p on p.id = x.program_id where x.merchant_id = m.id), '{}') as programs,
    coalesce((select array_agg(distinct sc.code order by sc.code) from schemes sc where sc.id in (
        select scheme_id from merchant_schemes where merchant_id = m.id
        union select a.scheme_id from merchant_alliances x join alliances a on a.id = x.alliance_id where x.merchant_id = m.id
        union select m.earn_scheme_id)), '{}') as schemes,
    coalesce((select array_agg(t.code order by t.code) from terminals t where t.merchant_id = m.id), '{}') as terminals
  from merchants m left join schemes s on s.id = m.earn_scheme_id`;

/**
 * Registers a merchant: commission in basis points on stored-value redemptions; an optional earn
 * rule (`earnRate` points per 100 minor units in `earnScheme`, capped per transaction by `earnCap`);
 * alliances it joins; accepted programs (none = every program) and extra accepted schemes (its
 * alliances' schemes and its own earn scheme are always accepted). With an `actor`, audited in the same transaction.
 */
export async function addMerchant(ctx: Context, input: MerchantInput, actor?: Actor): Promise<Merchant> {
  const code = v.code(input.code);
  const name = v.name(input.name ?? code);
  const commission = input.commissionBps === undefined ? 0 : v.int(input.commissionBps, 'commission_bps', 0, 10000);
  const earnScheme = input.earnScheme ? v.code(input.earnScheme, 'earn_scheme') : null;
  const earnRate = v.optionalInt(input.earnRate, 'earn_rate', 0, 1_000_000);
  const earnCap = v.optionalInt(input.earnCap, 'earn_cap', 1, 1e12);
  if ((earnScheme === null) !== (earnRate === null)) {
    throw new InputError('earn_rule', 'earn_scheme and earn_rate go together', earnScheme ? 'earn_rate' : 'earn_scheme');
  }
  if (earnCap !== null && earnScheme === null) throw new InputError('earn_rule', 'earn_cap needs an earn_scheme and earn_rate', 'earn_cap');
  const alliances = v.codeList(input.alliances, 'alliances');
  const programs = v.codeList(input.programs, 'programs');
  const schemes = v.codeList(input.schemes, 'schemes');

  return ctx.db.sql.transaction(async (tx) => {
    const schemeId = earnScheme ? await idOf(tx, 'schemes', earnScheme, 'earn_scheme') : null;
    const allianceIds = await ids(tx, 'alliances', alliances, 'alliances');
    const programIds = await ids(tx, 'programs', programs, 'programs');
    const schemeIds = await ids(tx, 'schemes', schemes, 'schemes');
    const id = (await insertUnique('merchant', code, 'code', () => tx.oneFirst(sql.unsafe`
      insert into merchants (code, name, commission_bps, earn_scheme_id, earn_rate, earn_cap)
      values (${code}, ${name}, ${commission}, ${schemeId}, ${earnRate}, ${earnCap}) returning id`))) as number;
    for (const a of allianceIds) await tx.query(sql.unsafe`insert into merchant_alliances (merchant_id, alliance_id) values (${id}, ${a}) on conflict do nothing`);
    for (const p of programIds) await tx.query(sql.unsafe`insert into merchant_programs (merchant_id, program_id) values (${id}, ${p}) on conflict do nothing`);
    for (const s of schemeIds) await tx.query(sql.unsafe`insert into merchant_schemes (merchant_id, scheme_id) values (${id}, ${s}) on conflict do nothing`);
    // The management API's WEB-SEAT channel (when set up) may submit for every merchant (migration 000240).
    await tx.query(sql.unsafe`insert into channel_merchants (channel_id, merchant_id) select c.id, ${id} from channels c where c.code = ${WEB_SEAT} on conflict do nothing`);
    const created = (await tx.one(sql.unsafe`${SELECT} where m.id = ${id}`)) as Merchant;
    if (actor) await auditSql(tx, ctx, actor, { action: 'merchant.add', target: `merchant:${code}`, outcome: 'ok', after: created });
    return created;
  });
}

async function ids(tx: CommonQueryMethods, table: 'alliances' | 'programs' | 'schemes', codes: string[], field: string): Promise<number[]> {
  const out: number[] = [];
  for (const [i, c] of codes.entries()) out.push(await idOf(tx, table, c, `${field}[${i}]`));
  return out;
}

export async function listMerchants(ctx: Context): Promise<Merchant[]> {
  return (await ctx.db.sql.any(sql.unsafe`${SELECT} order by m.code`)) as Merchant[];
}

export async function showMerchant(ctx: Context, code: string): Promise<Merchant> {
  const row = await ctx.db.sql.maybeOne(sql.unsafe`${SELECT} where m.code = ${code}`);
  if (!row) throw new NotFoundError('merchant', code, 'code');
  return row as Merchant;
}

export interface Terminal { id: number; code: string; merchant: string; created_at: string }

/** Registers a terminal of a merchant; terminal codes are unique per merchant. With an `actor`, audited in the same transaction. */
export async function addTerminal(ctx: Context, input: { merchant: unknown; code: unknown }, actor?: Actor): Promise<Terminal> {
  const merchant = v.code(input.merchant, 'merchant');
  const code = v.code(input.code);
  return ctx.db.sql.transaction(async (tx) => {
    const merchantId = await idOf(tx, 'merchants', merchant, 'merchant');
    const created = (await insertUnique(`terminal of ${merchant}`, code, 'code', () => tx.one(sql.unsafe`
      insert into terminals (merchant_id, code) values (${merchantId}, ${code})
      returning id, code, ${merchant}::text as merchant, created_at`))) as Terminal;
    if (actor) await auditSql(tx, ctx, actor, { action: 'terminal.add', target: `terminal:${created.id}`, outcome: 'ok', after: created });
    return created;
  });
}

export async function listTerminals(ctx: Context, merchant?: string): Promise<Terminal[]> {
  return (await ctx.db.sql.any(sql.unsafe`
    select t.id, t.code, m.code as merchant, t.created_at from terminals t join merchants m on m.id = t.merchant_id
    where ${merchant ?? null}::text is null or m.code = ${merchant ?? null}
    order by m.code, t.code`)) as Terminal[];
}

export async function showTerminal(ctx: Context, merchant: string, code: string): Promise<Terminal> {
  const row = await ctx.db.sql.maybeOne(sql.unsafe`
    select t.id, t.code, m.code as merchant, t.created_at from terminals t join merchants m on m.id = t.merchant_id
    where m.code = ${merchant} and t.code = ${code}`);
  if (!row) throw new NotFoundError('terminal', `${merchant}/${code}`, 'code');
  return row as Terminal;
}
