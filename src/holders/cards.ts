/** Cards as the management API shows them (design §10): `{ id, masked, program, status, balance, points }`, never the PAN. */
import type { Context } from '../context.js';
import { maskedPan } from '../cards/card-ref.js';
import { formatScaled } from '../registry/validate.js';
import { RATE_SCALE } from '../registry/schemes.js';
import { localTime } from '../admin/time.js';

export interface CardSummary {
  id: number; masked: string; program: string; status: string; holder_id: number | null;
  balance: { available: number; ledger: number; currency: string }; points: Record<string, number>;
}

export interface CardFilter { holderId?: number | null; issuerId?: number | null; id?: number; afterId?: number; limit?: number }

/** Cards with their value and points balances, filtered by holder and/or issuer, in id order. */
export async function listCards(ctx: Context, f: CardFilter): Promise<CardSummary[]> {
  const { rows } = await ctx.db.pg.query<{ id: number; pan_last4: string; bin: string; pan_length: number; program: string; status: string; holder_id: number | null; currency: string;
    accounts: { asset: string; balance: number; held: number }[] | null }>(
    `select c.id, c.pan_last4, p.bin, p.pan_length, p.code as program, c.status, c.holder_id, p.currency,
            (select json_agg(json_build_object('asset', a.asset, 'balance', a.balance, 'held', a.held) order by a.asset) from card_accounts a where a.card_id = c.id) as accounts
     from cards c join programs p on p.id = c.program_id
     where ($1::bigint is null or c.holder_id = $1) and ($2::bigint is null or p.issuer_id = $2) and ($3::bigint is null or c.id = $3) and c.id > $4
     order by c.id limit $5`, [f.holderId ?? null, f.issuerId ?? null, f.id ?? null, f.afterId ?? 0, f.limit ?? 50]);
  return rows.map((r) => {
    const value = (r.accounts ?? []).find((a) => a.asset === r.currency) ?? { balance: 0, held: 0 };
    const points: Record<string, number> = {};
    for (const a of r.accounts ?? []) if (a.asset.startsWith('PTS:')) points[a.asset.slice(4)] = Number(a.balance);
    return {
      id: r.id, masked: maskedPan(r.bin, r.pan_length, r.pan_last4), program: r.program, status: r.status, holder_id: r.holder_id,
      balance: { available: Number(value.balance) - Number(value.held), ledger: Number(value.balance), currency: r.currency }, points,
    };
  });
}

/** The owner of a card for the scope check: its holder and its program's issuer (null: no such card). */
export async function cardOwner(ctx: Context, id: number): Promise<{ holderId: number | null; issuerId: number } | null> {
  const { rows } = await ctx.db.pg.query<{ holder_id: number | null; issuer_id: number }>(
    'select c.holder_id, p.issuer_id from cards c join programs p on p.id = c.program_id where c.id = $1', [id]);
  return rows[0] ? { holderId: rows[0].holder_id, issuerId: rows[0].issuer_id } : null;
}

export interface RateInForce { from: string; to: string; rate: string; rate_micro: number; effective_at: string }

/** Every exchange rate in force now (积分银行实时汇率): per scheme pair, the latest version effective by the context clock. */
export async function ratesInForce(ctx: Context): Promise<RateInForce[]> {
  const { rows } = await ctx.db.pg.query<{ from_code: string; to_code: string; rate_micro: number; effective_at: Date }>(
    `select distinct on (r.from_scheme_id, r.to_scheme_id) f.code as from_code, t.code as to_code, r.rate_micro, r.effective_at
     from exchange_rates r join schemes f on f.id = r.from_scheme_id join schemes t on t.id = r.to_scheme_id
     where r.effective_at <= $1
     order by r.from_scheme_id, r.to_scheme_id, r.effective_at desc`, [ctx.clock.now()]);
  return rows.map((r) => ({ from: r.from_code, to: r.to_code, rate: formatScaled(Number(r.rate_micro), RATE_SCALE), rate_micro: Number(r.rate_micro), effective_at: localTime(r.effective_at, ctx.config.timezone) }))
    .sort((a, b) => (a.from + a.to).localeCompare(b.from + b.to));
}
