import type { Keyring } from './keys.js';
import type { Queryable } from '../ledger/post.js';
import { randomPan } from './pan.js';
import { encrypt, panToken } from './vault.js';
import { endOfMonthAfter } from '../ledger/calendar.js';
import { claimPanToken, hasPanTokenTable } from './pan-tokens.js';

/** The program fields card creation needs. */
export interface ProgramForIssue {
  id: number;
  bin: string;
  pan_length: number;
  validity_months: number | null;
  activate_on_issue: boolean;
  currency: string;
}

/** Expiry (last valid day) of a card issued on local date `issuedOn`; null when the program's cards never expire. */
export function cardExpiry(issuedOn: string, validityMonths: number | null): string | null {
  return validityMonths === null ? null : endOfMonthAfter(issuedOn, validityMonths);
}

/**
 * Creates one card (and its value account) with a fresh random PAN; retries on the rare PAN
 * collision. Returns the PAN in clear for the caller to hand to the card bureau, never to store.
 */
export async function createCard(
  db: Queryable, keys: Keyring, program: ProgramForIssue,
  opts: { issuedAt: Date; issuedOn: string; batchId?: number | null; holderRef?: string | null; status?: 'issued' | 'active' },
): Promise<{ id: number; pan: string; expiry: string | null }> {
  const status = opts.status ?? (program.activate_on_issue ? 'active' : 'issued');
  const expiry = cardExpiry(opts.issuedOn, program.validity_months);
  const tokenTable = await hasPanTokenTable(db);
  for (;;) {
    const pan = randomPan(program.bin, program.pan_length);
    const enc = encrypt(keys, pan);
    const token = panToken(keys, pan);
    // On Citus the PAN is claimed first in card_pan_tokens (pan-tokens.ts) under an id taken now.
    let claimed: number | null = null;
    if (tokenTable) {
      const { rows: [next] } = await db.query<{ id: number }>(`select nextval(pg_get_serial_sequence('cards', 'id')) as id`);
      if (!(await claimPanToken(db, token, next!.id))) continue;
      claimed = next!.id;
    }
    const { rows } = await db.query<{ id: number }>(`
      insert into cards (id, program_id, pan_token, pan_last4, pan_cipher, key_id, status, expiry_date, holder_ref, batch_id, issued_at, activated_at)
      values (coalesce($11::bigint, nextval(pg_get_serial_sequence('cards', 'id'))), $1, $2, $3, $4, $5, $6::text, $7, $8, $9, $10::timestamptz,
        case when $6::text = 'active' then $10::timestamptz end)
      on conflict do nothing returning id`,
      [program.id, token, pan.slice(-4), enc.cipher, enc.keyId, status, expiry, opts.holderRef ?? null, opts.batchId ?? null, opts.issuedAt, claimed]);
    // PAN already taken: draw again (pan_token is the only unique key a new card can hit on a single
    // server; naming no arbiter keeps this statement valid on Citus, where the claim above decides)
    if (rows.length === 0) continue;
    const id = rows[0]!.id;
    await db.query('insert into card_accounts (card_id, asset) values ($1, $2)', [id, program.currency]);
    return { id, pan, expiry };
  }
}

/** The id of the card with this PAN, looked up by its HMAC token, or null. */
export async function cardIdByPan(db: Queryable, keys: Keyring, pan: string): Promise<number | null> {
  const { rows } = await db.query<{ id: number }>('select id from cards where pan_token = $1', [panToken(keys, pan)]);
  return rows[0]?.id ?? null;
}
