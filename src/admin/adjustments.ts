import type pg from 'pg';
import type { Context } from '../context.js';
import { InputError } from '../errors.js';
import { resolveCardId } from '../cards/card-ref.js';
import { account } from '../ledger/accounts.js';
import { balancedEntry } from '../ledger/entry.js';
import { openBusinessDate } from '../ledger/business-date.js';
import { postEntries } from '../ledger/post.js';
import { Problem } from './problem.js';
import { withTransaction } from '../db/tx.js';
import { createApproval, MAKERS, type Approval } from './approvals.js';
import type { Actor } from './audit.js';
import type { Principal } from './roles.js';

/** What an adjustment request holds (the approval's payload). */
export interface AdjustmentPayload { card_id: number; amount: number; reason: string }

/**
 * Validates a manual adjustment request: a card (by id or number, never stored in clear), a
 * signed non-zero amount in minor units, a reason of 1–500 characters.
 */
export async function adjustmentPayload(ctx: Context, input: { card?: string; cardId?: number; amount: unknown; reason: unknown }): Promise<AdjustmentPayload> {
  if ((input.card === undefined) === (input.cardId === undefined)) throw new InputError('invalid_card', 'give card or card_id, not both', 'card_id');
  if (typeof input.amount !== 'number' || !Number.isSafeInteger(input.amount) || input.amount === 0) {
    throw new InputError('invalid_amount', 'amount must be a non-zero integer (minor units; negative debits the card)', 'amount');
  }
  if (typeof input.reason !== 'string' || input.reason.trim().length === 0 || input.reason.length > 500) throw new InputError('invalid_reason', 'a reason of 1–500 characters is required', 'reason');
  const cardId = await resolveCardId(ctx.db.pg, ctx.keys, input.card !== undefined ? { pan: input.card } : { cardId: String(input.cardId) });
  return { card_id: cardId, amount: input.amount, reason: input.reason };
}

/**
 * Posts an approved adjustment in the caller's transaction: the card's value account against
 * suspense:adjustments, entry kind `adjustment`. The card is locked as the daemon locks it; a debit
 * beyond the available balance or a credit above the program maximum is refused (409), moving nothing.
 */
export async function applyAdjustment(ctx: Context, client: pg.ClientBase, approvalId: number, p: AdjustmentPayload): Promise<{ entry_id: number; balance: number }> {
  const { rows } = await client.query<{ status: string; currency: string; max_balance: number; balance: number | null; held: number | null }>(
    `select c.status, pr.currency, pr.max_balance, a.balance, a.held
     from cards c join programs pr on pr.id = c.program_id left join card_accounts a on a.card_id = c.id and a.asset = pr.currency
     where c.id = $1 for no key update of c`, [p.card_id]);
  const card = rows[0];
  if (!card) throw new Problem(404, 'not_found', `card ${p.card_id} not found`, { field: 'card_id' });
  if (card.status === 'closed') throw new Problem(409, 'card_closed', 'the card is closed', { field: 'card_id' });
  const balance = card.balance ?? 0;
  if (balance - (card.held ?? 0) + p.amount < 0) throw new Problem(409, 'insufficient_funds', 'the debit exceeds the card\'s available balance', { field: 'amount' });
  if (p.amount > 0 && balance + p.amount > card.max_balance) throw new Problem(409, 'above_maximum', 'the credit would exceed the program maximum balance', { field: 'amount' });
  const now = ctx.clock.now();
  const date = await openBusinessDate(client, now, ctx.calendar);
  const [entryId] = await postEntries(client, date, [balancedEntry('adjustment', [
    { account: account.cardValue(p.card_id), asset: card.currency, amount: p.amount },
    { account: account.suspense('adjustments'), asset: card.currency, amount: -p.amount },
  ], { occurredAt: now, memo: { approval_id: approvalId } })]);
  return { entry_id: entryId!, balance: balance + p.amount };
}

/** Requests a manual adjustment (maker: finance): pending until another finance operator approves. */
export async function requestAdjustment(ctx: Context, maker: Principal, actor: Actor, input: { card?: string; cardId?: number; amount: unknown; reason: unknown }): Promise<Approval> {
  if (!MAKERS.adjustment.includes(maker.role)) throw new Problem(403, 'forbidden', `a ${maker.role} cannot request an adjustment`);
  const payload = await adjustmentPayload(ctx, input);
  return withTransaction(ctx.db.pg, (c) => createApproval(ctx, c, maker, actor, { kind: 'adjustment', payload: { ...payload }, total: payload.amount }));
}
