import crypto from 'node:crypto';
import type { Context } from '../context.js';
import { encrypt } from '../cards/vault.js';

/** The built-in channel of refunds entered through the management API (design §10). */
export const WEB_SEAT = 'WEB-SEAT';

/**
 * Creates the WEB-SEAT channel when missing (no fee; its random HMAC secret is never shown, so no
 * one can sign HTTP requests as it) and lets it submit for every merchant: existing ones here,
 * later ones by addMerchant (migration 000240). Idempotent, safe in
 * several daemons at once.
 */
export async function ensureWebSeat(ctx: Context): Promise<void> {
  const enc = encrypt(ctx.keys, crypto.randomBytes(32).toString('base64url'));
  await ctx.db.pg.query(
    `insert into channels (code, name, secret_cipher, secret_key_id, fee_fixed, fee_bps) values ($1, 'Management API web seat', $2, $3, 0, 0)
     on conflict (code) do nothing`, [WEB_SEAT, enc.cipher, enc.keyId]);
  await ctx.db.pg.query(
    `insert into channel_merchants (channel_id, merchant_id) select c.id, m.id from channels c cross join merchants m where c.code = $1
     on conflict do nothing`, [WEB_SEAT]);
}
