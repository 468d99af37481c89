/** Cardholders (用户, design §10): registration, view, card links, combined query and forgetting. */
import crypto from 'node:crypto';
import type pg from 'pg';
import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { sqlState } from '../db/errors.js';
import { InputError, NotFoundError } from '../errors.js';
import { auditPg, type Actor } from '../admin/audit.js';
import { checkPasswordRules, hashPassword } from '../admin/passwords.js';
import { resolveCardId, maskedPan, type CardRef } from '../cards/card-ref.js';
import { localTime } from '../admin/time.js';
import { idNumberIndex, maskIdNumber, maskMobile, maskName, mobileIndex, normalizeIdNumber, normalizeMobile, openPii, parsePii, sealPii } from './pii.js';

export interface HolderCard { id: number; masked: string; program: string; status: string }

/** A holder as shown to operators: personal data masked, never in clear. */
export interface HolderView {
  id: number; name: string | null; id_type: string | null; id_number: string | null; mobile: string | null;
  username: string; forgotten: boolean; created_at: string; cards: HolderCard[];
}

export interface HolderInput { name?: unknown; id_type?: unknown; id_number?: unknown; mobile?: unknown }

/** The login name of a holder's cardholder account (the holder logs in with the mobile number). */
export const holderUsername = (id: number) => `holder.${id}`;

/**
 * Registers a holder: personal data validated, encrypted and indexed; a cardholder login created
 * with `password` (rules as for operators) or, when null, a random one-time password returned once.
 * A mobile number already registered is refused (409). Audited without personal data.
 */
export async function addHolder(ctx: Context, input: HolderInput, password: string | null, actor: Actor, issuerId: number | null = null): Promise<{ holder: HolderView; one_time_password?: string }> {
  const pii = parsePii(input);
  const oneTime = password === null ? crypto.randomBytes(12).toString('base64url') : null;
  const secret = password ?? oneTime!;
  checkPasswordRules(secret);
  const hash = await hashPassword(secret);
  const sealed = sealPii(ctx.keys, pii);
  const id = await withTransaction(ctx.db.pg, async (c) => {
    const now = ctx.clock.now();
    const mIndex = mobileIndex(ctx.keys, pii.mobile);
    const dup = await c.query('select 1 from holders where mobile_index = $1', [mIndex]);
    if (dup.rowCount) throw new InputError('duplicate', 'a holder with this mobile number is already registered', 'mobile');
    const { rows } = await c.query<{ id: number }>(
      `insert into holders (id_type, pii_cipher, key_id, mobile_index, id_number_index, issuer_id, created_at) values ($1, $2, $3, $4, $5, $6, $7) returning id`,
      [pii.id_type, sealed.cipher, sealed.keyId, mIndex, idNumberIndex(ctx.keys, pii.id_number), issuerId, now]);
    const holderId = rows[0]!.id;
    await c.query(`insert into operators (username, role, holder_id, password_hash, created_at) values ($1, 'cardholder', $2, $3, $4)`, [holderUsername(holderId), holderId, hash, now]);
    await auditPg(c, ctx, actor, { action: 'holder.add', target: `holder:${holderId}`, outcome: 'ok', after: { holder_id: holderId, id_type: pii.id_type, one_time_password: oneTime !== null } });
    return holderId;
  }).catch((err: unknown) => {
    // Two registrations of one mobile racing: the unique index decides.
    if (sqlState(err) === '23505') throw new InputError('duplicate', 'a holder with this mobile number is already registered', 'mobile');
    throw err;
  });
  return { holder: await showHolder(ctx, id), ...(oneTime !== null ? { one_time_password: oneTime } : {}) };
}

type HolderRow = { id: number; id_type: string | null; pii_cipher: Buffer | null; key_id: string | null; forgotten_at: Date | null; created_at: Date; issuer_id: number | null };

async function cardsOf(db: pg.Pool | pg.ClientBase, holderIds: number[]): Promise<Map<number, HolderCard[]>> {
  const { rows } = await db.query<{ holder_id: number; id: number; pan_last4: string; bin: string; pan_length: number; program: string; status: string }>(
    `select c.holder_id, c.id, c.pan_last4, p.bin, p.pan_length, p.code as program, c.status
     from cards c join programs p on p.id = c.program_id where c.holder_id = any($1::bigint[]) order by c.id`, [holderIds]);
  const out = new Map<number, HolderCard[]>();
  for (const r of rows) out.set(r.holder_id, [...(out.get(r.holder_id) ?? []), { id: r.id, masked: maskedPan(r.bin, r.pan_length, r.pan_last4), program: r.program, status: r.status }]);
  return out;
}

function view(ctx: Context, r: HolderRow, cards: HolderCard[]): HolderView {
  const pii = r.pii_cipher && r.key_id ? openPii(ctx.keys, r.pii_cipher, r.key_id) : null;
  return {
    id: r.id, name: pii ? maskName(pii.name) : null, id_type: r.id_type, id_number: pii ? maskIdNumber(pii.id_number) : null,
    mobile: pii ? maskMobile(pii.mobile) : null, username: holderUsername(r.id), forgotten: r.forgotten_at !== null,
    created_at: localTime(r.created_at, ctx.config.timezone), cards,
  };
}

const SELECT = 'select h.id, h.id_type, h.pii_cipher, h.key_id, h.forgotten_at, h.created_at, h.issuer_id from holders h';

/** One holder, masked, with its cards. */
export async function showHolder(ctx: Context, id: number): Promise<HolderView> {
  const { rows } = await ctx.db.pg.query<HolderRow>(`${SELECT} where h.id = $1`, [id]);
  if (!rows[0]) throw new NotFoundError('holder', String(id), 'holder');
  return view(ctx, rows[0], (await cardsOf(ctx.db.pg, [id])).get(id) ?? []);
}

/** The issuers a holder belongs to for issuer_ops' scope: the registering issuer and every issuer of its cards. */
export async function holderIssuers(ctx: Context, id: number): Promise<number[] | null> {
  const { rows } = await ctx.db.pg.query<{ issuer_id: number | null; card_issuers: number[] | null }>(
    `select h.issuer_id, (select array_agg(distinct p.issuer_id) from cards c join programs p on p.id = c.program_id where c.holder_id = $1) as card_issuers
     from holders h where h.id = $1`, [id]);
  if (!rows[0]) return null;
  return [...(rows[0].issuer_id === null ? [] : [rows[0].issuer_id]), ...(rows[0].card_issuers ?? [])].map(Number);
}

export interface HolderQuery { mobile?: string; idNumber?: string; cardLast4?: string; program?: string; issuerId?: number | null; afterId?: number; limit?: number }

/**
 * The combined holder query (用户组合查询): by mobile or ID number (through their blind indexes),
 * the last 4 digits of a linked card, a program of a linked card; confined to an issuer's holders
 * for issuer_ops. Id order, from `afterId`. The card conditions are uncorrelated IN lists: on Citus
 * (design §9) holders is a reference table and cards are distributed, and a subquery correlated
 * with a reference table's row is refused.
 */
export async function queryHolders(ctx: Context, q: HolderQuery): Promise<HolderView[]> {
  const m = q.mobile === undefined ? null : mobileIndex(ctx.keys, normalizeMobile(q.mobile));
  const i = q.idNumber === undefined ? null : idNumberIndex(ctx.keys, normalizeIdNumber(q.idNumber));
  const { rows } = await ctx.db.pg.query<HolderRow>(`${SELECT}
    where ($1::bytea is null or h.mobile_index = $1) and ($2::bytea is null or h.id_number_index = $2)
      and ($3::text is null or h.id in (select c.holder_id from cards c where c.pan_last4 = $3))
      and ($4::text is null or h.id in (select c.holder_id from cards c join programs p on p.id = c.program_id where p.code = $4))
      and ($5::bigint is null or h.issuer_id = $5 or h.id in (select c.holder_id from cards c join programs p on p.id = c.program_id where p.issuer_id = $5))
      and h.id > $6
    order by h.id limit $7`, [m, i, q.cardLast4 ?? null, q.program ?? null, q.issuerId ?? null, q.afterId ?? 0, q.limit ?? 50]);
  const cards = await cardsOf(ctx.db.pg, rows.map((r) => r.id));
  return rows.map((r) => view(ctx, r, cards.get(r.id) ?? []));
}

/**
 * Links a card to a holder. A card already linked to another holder is refused (409); linking it
 * again to the same holder changes nothing. `issuerId`: an issuer_ops may link only its issuer's
 * cards (another issuer's card is "not found"). Refused for a forgotten holder. Audited.
 */
export async function linkCard(ctx: Context, holderId: number, ref: CardRef, actor: Actor, issuerId: number | null = null): Promise<HolderCard> {
  return withTransaction(ctx.db.pg, async (c) => {
    const cardId = await resolveCardId(c, ctx.keys, ref);
    const { rows: hs } = await c.query<{ forgotten_at: Date | null }>('select forgotten_at from holders where id = $1 for update', [holderId]);
    if (!hs[0]) throw new NotFoundError('holder', String(holderId), 'holder');
    if (hs[0].forgotten_at) throw new InputError('holder_forgotten', 'the holder was forgotten: register the person again', 'holder');
    const { rows } = await c.query<{ holder_id: number | null; issuer_id: number }>(
      'select c.holder_id, p.issuer_id from cards c join programs p on p.id = c.program_id where c.id = $1 for update of c', [cardId]);
    const card = rows[0]!;
    if (issuerId !== null && card.issuer_id !== issuerId) throw new NotFoundError('card', String(cardId), 'card');
    if (card.holder_id !== null && card.holder_id !== holderId) throw new InputError('duplicate', 'the card is linked to another holder', 'card');
    if (card.holder_id === null) {
      await c.query('update cards set holder_id = $2 where id = $1', [cardId, holderId]);
      await auditPg(c, ctx, actor, { action: 'holder.link', target: `holder:${holderId}`, outcome: 'ok', after: { card_id: cardId } });
    }
    return (await cardsOf(c, [holderId])).get(holderId)!.find((x) => x.id === cardId)!;
  });
}

/**
 * Forgets a holder (design §10): erases the name, ID number, mobile and their indexes and disables
 * the login, only when no card of the holder carries value (stored value, points or holds): 409
 * otherwise, nothing changed. The cards keep their link (an id only); the ledger keeps only ids.
 * Audited. Forgetting a forgotten holder changes nothing.
 */
export async function forgetHolder(ctx: Context, holderId: number, actor: Actor): Promise<HolderView> {
  await withTransaction(ctx.db.pg, async (c) => {
    const { rows } = await c.query<{ forgotten_at: Date | null }>('select forgotten_at from holders where id = $1 for update', [holderId]);
    if (!rows[0]) throw new NotFoundError('holder', String(holderId), 'holder');
    if (rows[0].forgotten_at) return;
    // The holder's cards locked one by one, in id order (as every writer locks cards), then their
    // accounts read: on Citus (design §9) a locking read over several cards' shards is refused.
    const { rows: cards } = await c.query<{ id: number }>('select id from cards where holder_id = $1 order by id', [holderId]);
    for (const card of cards) await c.query('select 1 from cards where id = $1 for update', [card.id]);
    const { rows: value } = await c.query<{ card_id: number }>(
      'select card_id from card_accounts where card_id = any($1::bigint[]) and (balance <> 0 or held <> 0) order by card_id', [cards.map((x) => x.id)]);
    if (value.length > 0) throw new InputError('conflict', `card ${value[0]!.card_id} of the holder still carries value: forget needs every card empty`, 'holder');
    const now = ctx.clock.now();
    await c.query(`update holders set id_type = null, pii_cipher = null, key_id = null, mobile_index = null, id_number_index = null, forgotten_at = $2 where id = $1`, [holderId, now]);
    await c.query('update operators set disabled_at = coalesce(disabled_at, $2) where holder_id = $1', [holderId, now]);
    await c.query('update operator_sessions s set ended_at = $2 from operators o where o.id = s.operator_id and o.holder_id = $1 and s.ended_at is null', [holderId, now]);
    await auditPg(c, ctx, actor, { action: 'holder.forget', target: `holder:${holderId}`, outcome: 'ok' });
  });
  return showHolder(ctx, holderId);
}
