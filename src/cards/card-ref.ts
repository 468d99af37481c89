import type { Keyring } from './keys.js';
import type { Queryable } from '../ledger/post.js';
import { cardIdByPan } from './cards.js';
import { luhnValid, maskPan } from './luhn.js';
import { InputError, NotFoundError } from '../errors.js';

/** How a command names a card: exactly one of a card id or a PAN (the PAN is only ever looked up by token). */
export interface CardRef {
  cardId?: unknown;
  pan?: unknown;
}

/** A card row locked for a lifecycle change, with the program fields lifecycle rules need. */
export interface LockedCard {
  id: number;
  status: 'issued' | 'active' | 'frozen' | 'lost' | 'expired' | 'closed';
  expiry_date: string | null;
  holder_ref: string | null;
  /** The registered holder (design §10), if any. */
  holder_id: number | null;
  activated_at: Date | null;
  replaced_by: number | null;
  program: {
    id: number; code: string; issuer_id: number; issuer_is_operator: boolean; currency: string; bin: string;
    pan_length: number; named: boolean; validity_months: number | null; activate_on_issue: boolean; replacement_fee: number;
  };
}

/**
 * The id of the card `ref` names. Validates that exactly one of `cardId` / `pan` is given; a PAN
 * must be 13–19 Luhn-valid digits and is looked up by its HMAC token. Errors never echo a PAN
 * (at most its mask).
 */
export async function resolveCardId(db: Queryable, keys: Keyring, ref: CardRef): Promise<number> {
  const hasId = ref.cardId !== undefined && ref.cardId !== null && ref.cardId !== '';
  const hasPan = ref.pan !== undefined && ref.pan !== null && ref.pan !== '';
  if (hasId === hasPan) throw new InputError('card_ref', 'name the card with exactly one of --card-id or --pan', 'card');
  if (hasId) {
    const raw = String(ref.cardId);
    if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw new InputError('invalid_card_id', 'card id must be a positive integer', 'card_id');
    const { rows } = await db.query<{ id: number }>('select id from cards where id = $1', [Number(raw)]);
    if (rows.length === 0) throw new NotFoundError('card', raw, 'card_id');
    return rows[0]!.id;
  }
  const pan = String(ref.pan);
  if (!/^[0-9]{13,19}$/.test(pan) || !luhnValid(pan)) throw new InputError('invalid_pan', 'pan must be 13 to 19 digits with a valid check digit', 'pan');
  const id = await cardIdByPan(db, keys, pan);
  if (id === null) throw new NotFoundError('card', maskPan(pan), 'pan');
  return id;
}

/** Locks the card row (FOR UPDATE) and returns it with its program. Must run inside a transaction. */
export async function lockCard(db: Queryable, cardId: number): Promise<LockedCard> {
  const { rows } = await db.query<Omit<LockedCard, 'program'> & { p: LockedCard['program'] }>(`
    select c.id, c.status, c.expiry_date, c.holder_ref, c.holder_id, c.activated_at, c.replaced_by,
           json_build_object('id', p.id, 'code', p.code, 'issuer_id', p.issuer_id, 'issuer_is_operator', i.is_operator,
             'currency', p.currency, 'bin', p.bin, 'pan_length', p.pan_length, 'named', p.named,
             'validity_months', p.validity_months, 'activate_on_issue', p.activate_on_issue,
             'replacement_fee', p.replacement_fee) as p
    from cards c join programs p on p.id = c.program_id join issuers i on i.id = p.issuer_id
    where c.id = $1
    for update of c`, [cardId]);
  const row = rows[0];
  if (!row) throw new NotFoundError('card', String(cardId), 'card_id');
  const { p, ...card } = row;
  return { ...card, program: p };
}

/** The display form of a card number without decrypting it: first 6 digits of the BIN, stars, last 4. */
export function maskedPan(bin: string, panLength: number, last4: string): string {
  return `${bin.slice(0, 6)}${'*'.repeat(panLength - 10)}${last4}`;
}

/** Records a lifecycle change in card_status_changes (business time from the caller's clock). */
export async function recordStatusChange(
  db: Queryable, cardId: number, action: string, from: string, to: string, at: Date, detail: Record<string, unknown> | null = null,
): Promise<void> {
  await db.query(
    `insert into card_status_changes (card_id, action, from_status, to_status, occurred_at, detail) values ($1, $2, $3, $4, $5, $6)`,
    [cardId, action, from, to, at, detail ? JSON.stringify(detail) : null]);
}

/** A card's accounts, locked. Must run inside a transaction that already holds the card row lock. */
export async function lockCardAccounts(db: Queryable, cardId: number): Promise<{ asset: string; balance: number; held: number }[]> {
  const { rows } = await db.query<{ asset: string; balance: number; held: number }>(
    'select asset, balance, held from card_accounts where card_id = $1 order by asset for update', [cardId]);
  return rows;
}
