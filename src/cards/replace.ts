import path from 'node:path';
import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { auditPg, type Actor } from '../admin/audit.js';
import { InputError } from '../errors.js';
import { postEntries } from '../ledger/post.js';
import { balancedEntry, type Entry } from '../ledger/entry.js';
import { cardFee, replacementTransfer, type CardBalance } from '../ledger/flows/index.js';
import { openBusinessDate } from '../ledger/business-date.js';
import { localDate } from '../ledger/calendar.js';
import { restoreDerecognised } from '../settlement/breakage-remote.js';
import { createCard } from './cards.js';
import { applyLotEffect, moveLots } from '../points/lots.js';
import type { Queryable } from '../ledger/post.js';
import { StagedCardFile } from './card-file.js';
import { lockCard, lockCardAccounts, maskedPan, recordStatusChange, resolveCardId, type CardRef } from './card-ref.js';

export interface Replacement {
  old_card_id: number;
  new_card_id: number;
  masked_pan: string;
  expiry_date: string | null;
  status: 'issued' | 'active';
  currency: string;
  /** Stored value moved to the new card. */
  value: number;
  /** Points moved, per scheme code. */
  points: Record<string, number>;
  /** Value first brought back from breakage/escheat (an expired card past its grace period). */
  restored: number;
  fee: number;
  /** The personalization file holding the new PAN (mode 0600). */
  file: string;
}

/** Where `purse cards replace` writes the new card's personalization file by default. */
export const DEFAULT_OUT_DIR = path.join('batches', 'out');

/**
 * Replaces a card (design §3, §4): a new card of the same program (same holder reference; active
 * unless the old card was never activated), the whole balance — stored value and every points
 * scheme — moved in one `replacement` entry (old −b, new +b per asset), the program's replacement
 * fee charged to the issuer (`card_fee`: issuer −fee, revenue:card_fees +fee), and the old card
 * closed with `replaced_by`. Value derecognised by breakage/escheat is restored first. The new
 * PAN goes only into the personalization file (`out`, default `batches/out/<program>-replacement-<id>.csv`),
 * written atomically with mode 0600. Refused for closed cards and while a hold is open.
 */
export async function replaceCard(ctx: Context, ref: CardRef, opts: { out?: string } = {}, actor?: Actor): Promise<Replacement> {
  if (opts.out) await StagedCardFile.checkFree(opts.out);
  const staged = new StagedCardFile(opts.out ? path.dirname(opts.out) : DEFAULT_OUT_DIR);
  let result: Replacement;
  try {
    result = await withTransaction(ctx.db.pg, async (client) => {
      const card = await lockCard(client, await resolveCardId(client, ctx.keys, ref));
      const p = card.program;
      if (card.status === 'closed') throw new InputError('invalid_status', 'the card is closed', 'status');
      if ((await lockCardAccounts(client, card.id)).some((a) => a.held > 0)) {
        throw new InputError('open_holds', 'the card has an open pre-authorization hold; capture it or let it expire first', 'card');
      }
      const now = ctx.clock.now();
      const date = await openBusinessDate(client, now, ctx.calendar);
      const { restored } = await restoreDerecognised(client, card.id, date, now);
      const balances = (await lockCardAccounts(client, card.id)).filter((a) => a.balance > 0);

      const status = card.activated_at ? 'active' : 'issued';
      const fresh = await createCard(client, ctx.keys, p, {
        issuedAt: now, issuedOn: localDate(now, ctx.calendar.timezone), holderRef: card.holder_ref, status,
      });
      // The replacement belongs to the same holder (a named card keeps its holder link, design §10).
      if (card.holder_id !== null) await client.query('update cards set holder_id = $2 where id = $1', [fresh.id, card.holder_id]);
      const moved: CardBalance[] = balances.map((a) => ({ asset: a.asset, scheme: a.asset === p.currency ? null : a.asset.slice('PTS:'.length), amount: a.balance }));
      const points: Record<string, number> = {};
      for (const m of moved) if (m.scheme !== null) points[m.scheme] = m.amount;
      const entries: Entry[] = [];
      const memo = { old_card_id: card.id, new_card_id: fresh.id };
      if (moved.length > 0) entries.push(balancedEntry('replacement', replacementTransfer({ fromCardId: card.id, toCardId: fresh.id, balances: moved }), { occurredAt: now, memo }));
      if (p.replacement_fee > 0) {
        entries.push(balancedEntry('card_fee', cardFee({ issuerId: p.issuer_id, currency: p.currency, fee: p.replacement_fee }), { occurredAt: now, memo: { ...memo, fee: 'replacement' } }));
      }
      const [transferId] = await postEntries(client, date, entries);
      if (Object.keys(points).length > 0) await transferLots(client, card.id, fresh.id, transferId!);
      await client.query(`update cards set status = 'closed', replaced_by = $2 where id = $1`, [card.id, fresh.id]);
      await recordStatusChange(client, card.id, 'replace', card.status, 'closed', now, { ...memo, restored });
      if (actor) await auditPg(client, ctx, actor, { action: 'card.replace', target: `card:${card.id}`, outcome: 'ok', before: { status: card.status }, after: memo });
      await staged.stage([{ pan: fresh.pan, expiry: fresh.expiry, cardId: fresh.id }]);
      return {
        old_card_id: card.id, new_card_id: fresh.id, masked_pan: maskedPan(p.bin, p.pan_length, fresh.pan.slice(-4)),
        expiry_date: fresh.expiry, status, currency: p.currency, value: balances.find((a) => a.asset === p.currency)?.balance ?? 0,
        points, restored, fee: p.replacement_fee,
        file: opts.out ?? path.join(DEFAULT_OUT_DIR, `${p.code}-replacement-${fresh.id}.csv`),
      };
    });
  } catch (err) {
    await staged.discard();
    throw err;
  }
  await staged.publish(result.file);
  return result;
}

/**
 * Moves every live points lot of the old card to the new one under the replacement entry: the
 * old lot is emptied and a lot with the same points and expiry is credited to the new card, so
 * each card's PTS balance stays the sum of its lots and the points keep their validity.
 */
async function transferLots(db: Queryable, fromCard: number, toCard: number, entryId: number): Promise<void> {
  const { rows } = await db.query<{ id: number; scheme_id: number; remaining: number; expires_at: Date | null }>(
    'select id, scheme_id, remaining, expires_at from points_lots where card_id = $1 and remaining > 0 order by id for update', [fromCard]);
  await moveLots(db, fromCard, rows.map((l) => l.id), rows.map((l) => -l.remaining), entryId);
  for (const l of rows) {
    await applyLotEffect(db, { type: 'lot_credit', entry: 0, cardId: toCard, schemeId: l.scheme_id, points: l.remaining, expiresAt: l.expires_at }, entryId);
  }
}
