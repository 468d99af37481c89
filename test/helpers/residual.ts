import type { Context } from '../../src/context.js';
import type { ManualClock } from '../../src/clock.js';
import { withTransaction } from '../../src/db/tx.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry, type EntryKind, type Posting } from '../../src/ledger/entry.js';
import { account, pointsAsset } from '../../src/ledger/accounts.js';
import { createCard } from '../../src/cards/cards.js';
import { showProgram } from '../../src/registry/programs.js';
import { localDate } from '../../src/ledger/calendar.js';

/** Residual-value tests move the clock around; they need the manual clock. */
export type TestCtx = Context & { clock: ManualClock };

/** Sets the clock to 10:00 Shanghai time of `date` (business date = `date`). */
export function at(ctx: TestCtx, date: string): void {
  ctx.clock.set(`${date}T10:00:00+08:00`);
}

/** Posts one entry at the clock's business date; returns its id. */
export async function post(ctx: Context, kind: EntryKind, legs: Posting[], opts: { merchantId?: number } = {}): Promise<number> {
  return withTransaction(ctx.db.pg, async (c) => {
    const d = await openBusinessDate(c, ctx.clock.now(), ctx.calendar);
    const [id] = await postEntries(c, d, [balancedEntry(kind, legs, { occurredAt: ctx.clock.now(), merchantId: opts.merchantId ?? null })]);
    return id!;
  });
}

/** A bulk load of `amount` from the issuer (design §4: card value +a; issuer −a). */
export function load(ctx: Context, cardId: number, issuerId: number, amount: number, currency = 'CNY'): Promise<number> {
  return post(ctx, 'bulk_load', [
    { account: account.cardValue(cardId), asset: currency, amount },
    { account: account.issuer(issuerId), asset: currency, amount: -amount },
  ]);
}

/** A purchase of `amount` at a merchant, without commission (card value −a; merchant +a). */
export function purchase(ctx: Context, cardId: number, merchantId: number, amount: number, currency = 'CNY'): Promise<number> {
  return post(ctx, 'purchase', [
    { account: account.cardValue(cardId), asset: currency, amount: -amount },
    { account: account.merchant(merchantId), asset: currency, amount },
  ], { merchantId });
}

/**
 * Points credited to a card the way an earn posts them (points: card +p, issued −p; money:
 * merchant −x, float +x with x = p × 1 fen), with the lot the points module keeps for them.
 */
export async function creditPoints(ctx: Context, cardId: number, scheme: { id: number; code: string }, merchantId: number, points: number): Promise<void> {
  await withTransaction(ctx.db.pg, async (c) => {
    const d = await openBusinessDate(c, ctx.clock.now(), ctx.calendar);
    const [entryId] = await postEntries(c, d, [balancedEntry('points_earn', [
      { account: account.cardPoints(cardId, scheme.code), asset: pointsAsset(scheme.code), amount: points },
      { account: account.schemeIssued(scheme.id), asset: pointsAsset(scheme.code), amount: -points },
      { account: account.merchant(merchantId), asset: 'CNY', amount: -points },
      { account: account.schemeFloat(scheme.id), asset: 'CNY', amount: points },
    ], { occurredAt: ctx.clock.now(), merchantId })]);
    await c.query(`
      with l as (insert into points_lots (card_id, scheme_id, points, remaining, expires_at, source_entry_id)
                 values ($1, $2, $3, $3, null, $4) returning card_id, id)
      insert into points_lot_moves (card_id, lot_id, entry_id, points) select card_id, id, $4, $3 from l`,
    [cardId, scheme.id, points, entryId]);
  });
}

/** Issues one active card of `program` on the clock's date; returns its id and PAN. */
export async function issueCard(ctx: Context, program: string, opts: { status?: 'issued' | 'active'; holderRef?: string } = {}): Promise<{ id: number; pan: string; expiry: string | null }> {
  const p = await showProgram(ctx, program);
  return withTransaction(ctx.db.pg, (c) => createCard(c, ctx.keys, p, {
    issuedAt: ctx.clock.now(), issuedOn: localDate(ctx.clock.now(), ctx.calendar.timezone),
    status: opts.status ?? 'active', holderRef: opts.holderRef ?? null,
  }));
}

/** A card account balance as kept in card_accounts (0 when the account does not exist). */
export async function balanceOf(ctx: Context, cardId: number, asset = 'CNY'): Promise<number> {
  const { rows } = await ctx.db.pg.query<{ balance: number }>('select balance from card_accounts where card_id = $1 and asset = $2', [cardId, asset]);
  return rows[0]?.balance ?? 0;
}

/** The balance of any ledger account: the sum of its postings. */
export async function accountBalance(ctx: Context, name: string, asset = 'CNY'): Promise<number> {
  const { rows } = await ctx.db.pg.query<{ total: number }>(
    'select coalesce(sum(amount), 0)::bigint as total from postings where account = $1 and asset = $2', [name, asset]);
  return rows[0]!.total;
}

/** Number of entries posted so far (to show that a second run posts nothing). */
export async function entryCount(ctx: Context): Promise<number> {
  const { rows } = await ctx.db.pg.query<{ n: number }>('select count(*)::bigint as n from entries');
  return rows[0]!.n;
}
