import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { auditPg, type Actor } from '../admin/audit.js';
import { InputError } from '../errors.js';
import { lockCard, maskedPan, recordStatusChange, resolveCardId, type CardRef, type LockedCard } from './card-ref.js';

/** What `purse cards show` prints: everything about a card except its PAN (masked only). */
export interface CardView {
  card_id: number;
  masked_pan: string;
  program: string;
  issuer: string;
  status: LockedCard['status'];
  expiry_date: string | null;
  named: boolean;
  holder_ref: string | null;
  replaced_by: number | null;
  issued_at: string;
  activated_at: string | null;
  last_activity: string | null;
  currency: string;
  balance: { ledger: number; held: number; available: number };
  points: Record<string, number>;
  holds: { id: number; asset: string; amount: number; remaining: number; expires_at: string }[];
}

/**
 * A card's status, expiry, balances (value and every points scheme), open holds and last
 * activity (the business time of its latest posting). Never returns the PAN: only its mask,
 * built from the BIN and the stored last four digits.
 */
export async function showCard(ctx: Context, ref: CardRef): Promise<CardView> {
  const id = await resolveCardId(ctx.db.pg, ctx.keys, ref);
  // One query per table, each by the card's id: on Citus (design §9) the card's accounts and holds
  // live with it, its postings with their entries, so each query is routed on its own.
  const { rows } = await ctx.db.pg.query<Omit<CardView, 'masked_pan' | 'balance' | 'points' | 'holds' | 'last_activity'> & { bin: string; pan_length: number; pan_last4: string }>(`
    select c.id as card_id, c.pan_last4, p.bin, p.pan_length, p.code as program, i.code as issuer, c.status, c.expiry_date,
           p.named, c.holder_ref, c.replaced_by, c.issued_at, c.activated_at, p.currency
    from cards c join programs p on p.id = c.program_id join issuers i on i.id = p.issuer_id
    where c.id = $1`, [id]);
  const { rows: accountRows } = await ctx.db.pg.query<{ asset: string; balance: number; held: number }>(
    'select asset, balance, held from card_accounts where card_id = $1 order by asset', [id]);
  const { rows: holdRows } = await ctx.db.pg.query<CardView['holds'][number]>(
    "select id, asset, amount, remaining, expires_at from holds where card_id = $1 and status = 'open' order by id", [id]);
  const { rows: [activity] } = await ctx.db.pg.query<{ at: Date | null }>(
    'select max(e.occurred_at) as at from postings x join entries e on e.id = x.entry_id where x.card_id = $1', [id]);
  const r = rows[0]!;
  const accounts = accountRows;
  const value = accounts.find((a) => a.asset === r.currency) ?? { balance: 0, held: 0 };
  const points: Record<string, number> = {};
  for (const a of accounts) if (a.asset.startsWith('PTS:')) points[a.asset.slice(4)] = a.balance;
  const iso = (d: unknown) => (d === null || d === undefined ? null : new Date(d as string).toISOString());
  return {
    card_id: r.card_id,
    masked_pan: maskedPan(r.bin, r.pan_length, r.pan_last4),
    program: r.program,
    issuer: r.issuer,
    status: r.status,
    expiry_date: r.expiry_date,
    named: r.named,
    holder_ref: r.holder_ref,
    replaced_by: r.replaced_by,
    issued_at: iso(r.issued_at)!,
    activated_at: iso(r.activated_at),
    last_activity: iso(activity?.at),
    currency: r.currency,
    balance: { ledger: value.balance, held: value.held, available: value.balance - value.held },
    points,
    holds: holdRows,
  };
}

/** The result of a status change. */
export interface StatusChange { card_id: number; action: string; from_status: string; to_status: string }

const TRANSITIONS = {
  freeze: { from: ['active'], to: 'frozen' },
  unfreeze: { from: ['frozen'], to: 'active' },
  mark_lost: { from: ['issued', 'active', 'frozen', 'expired'], to: 'lost' },
} as const;

export type StatusAction = keyof typeof TRANSITIONS;

/**
 * Changes a card's status (design §3): freeze active → frozen, unfreeze frozen → active,
 * mark_lost from issued/active/frozen/expired → lost (a lost card is then replaced). Any other
 * starting status is refused with `invalid_status`, changing nothing. Recorded in
 * card_status_changes; no money moves.
 */
export async function changeCardStatus(ctx: Context, ref: CardRef, action: StatusAction, actor?: Actor): Promise<StatusChange> {
  const rule = TRANSITIONS[action];
  return withTransaction(ctx.db.pg, async (client) => {
    const card = await lockCard(client, await resolveCardId(client, ctx.keys, ref));
    if (!(rule.from as readonly string[]).includes(card.status)) {
      throw new InputError('invalid_status', `cannot ${action.replace('_', ' ')} a card that is ${card.status} (needs ${rule.from.join(' or ')})`, 'status');
    }
    await client.query('update cards set status = $2 where id = $1', [card.id, rule.to]);
    await recordStatusChange(client, card.id, action, card.status, rule.to, ctx.clock.now());
    const change = { card_id: card.id, action, from_status: card.status, to_status: rule.to };
    if (actor) await auditPg(client, ctx, actor, { action: `card.${action}`, target: `card:${card.id}`, outcome: 'ok', before: { status: card.status }, after: change });
    return change;
  });
}
