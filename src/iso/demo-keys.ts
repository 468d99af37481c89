import crypto from 'node:crypto';
import type { Context } from '../context.js';
import { decrypt } from '../cards/vault.js';
import { setTerminalKey } from './terminal-keys.js';

/** Gives each demo terminal without one a random TMK (demo keys: stable for the life of the demo database). */
export async function ensureDemoTerminalKeys(ctx: Context, terminals: { merchant: string; terminal: string }[]): Promise<void> {
  for (const t of terminals) {
    const { rows } = await ctx.db.pg.query(
      `select 1 from iso_terminals i join terminals t on t.id = i.terminal_id join merchants m on m.id = t.merchant_id where m.code = $1 and t.code = $2`,
      [t.merchant, t.terminal]);
    if (rows.length === 0) await setTerminalKey(ctx, { merchant: t.merchant, code: t.terminal, tmk: crypto.randomBytes(16).toString('hex').toUpperCase() });
  }
}

/** The demo terminals' TMKs (32 hex) by `merchant/terminal`. */
export async function demoTerminalKeys(ctx: Context, merchants: string[]): Promise<Map<string, string>> {
  const { rows } = await ctx.db.pg.query<{ merchant: string; terminal: string; tmk_cipher: Buffer; tmk_key_id: string }>(
    `select m.code as merchant, t.code as terminal, i.tmk_cipher, i.tmk_key_id
     from iso_terminals i join terminals t on t.id = i.terminal_id join merchants m on m.id = t.merchant_id where m.code = any($1)`, [merchants]);
  return new Map(rows.map((r) => [`${r.merchant}/${r.terminal}`, decrypt(ctx.keys, r.tmk_cipher, r.tmk_key_id)]));
}
