import type { Queryable } from '../ledger/post.js';

/**
 * Whether this database keeps PANs unique in card_pan_tokens (a Citus coordinator, migration
 * 000241: cards there cannot hold a unique key on pan_token) rather than by the unique key of
 * cards (a single server). Asked once per issuance, never on the daemon's path.
 */
export async function hasPanTokenTable(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>(`select to_regclass('card_pan_tokens') is not null as present`);
  return rows[0]!.present;
}

/** COPY of bulk issuance's token rows (pan_token as bytea hex text, card id). */
export const PAN_TOKENS_COPY = 'copy card_pan_tokens (pan_token, card_id) from stdin';

/**
 * Claims `token` for card `id` (card_pan_tokens, Citus); false when another card has it. The
 * caller then draws another PAN, as the single server's unique key on cards makes it do.
 */
export async function claimPanToken(db: Queryable, token: Buffer, id: number): Promise<boolean> {
  const { rows } = await db.query('insert into card_pan_tokens (pan_token, card_id) values ($1, $2) on conflict do nothing returning card_id', [token, id]);
  return rows.length === 1;
}
