import crypto from 'node:crypto';
import type pg from 'pg';
import type { Context } from '../context.js';
import type { Keyring } from '../cards/keys.js';
import { decrypt, encrypt } from '../cards/vault.js';
import { InputError, NotFoundError } from '../errors.js';
import { checkValue, decryptEcb, encryptEcb } from './crypto.js';

/** A terminal's keys as the listener needs them (decrypted for this request only). */
export interface TerminalKeys {
  tmk: Buffer;
  macAlg: 'cup' | 'x919';
  /** Working keys of the current sign-on; null when not signed on. */
  pik: Buffer | null;
  mak: Buffer | null;
  batch: number;
}

/** Batch numbers run 000001–999999 and wrap. */
export const nextBatch = (b: number): number => (b % 999_999) + 1;

/**
 * Loads a terminal master key (`purse terminal set-key`): 32 hex characters (double-length 3DES),
 * stored encrypted with the key ring; a new TMK ends the current sign-on. Returns the check value
 * (first 4 bytes of 3DES-ECB of 8 zero bytes, uppercase hex).
 */
export async function setTerminalKey(ctx: Context, o: { merchant: string; code: string; tmk: string; macAlg?: string }): Promise<{ merchant: string; terminal: string; check_value: string; mac: string }> {
  const hex = o.tmk.trim();
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) throw new InputError('invalid_key', 'the TMK must be 32 hexadecimal characters (a double-length key)', 'tmk');
  const macAlg = o.macAlg ?? 'cup';
  if (macAlg !== 'cup' && macAlg !== 'x919') throw new InputError('invalid_mac', '--mac must be cup or x919', 'mac');
  const { rows } = await ctx.db.pg.query<{ id: number }>(
    'select t.id from terminals t join merchants m on m.id = t.merchant_id where m.code = $1 and t.code = $2', [o.merchant, o.code]);
  if (!rows[0]) throw new NotFoundError('terminal', `${o.merchant}/${o.code}`, 'code');
  const c = encrypt(ctx.keys, hex.toUpperCase());
  await ctx.db.pg.query(
    `insert into iso_terminals (terminal_id, tmk_cipher, tmk_key_id, mac_alg) values ($1, $2, $3, $4)
     on conflict (terminal_id) do update set tmk_cipher = excluded.tmk_cipher, tmk_key_id = excluded.tmk_key_id, mac_alg = excluded.mac_alg,
       pik_cipher = null, mak_cipher = null, work_key_id = null, signed_on_at = null, updated_at = $5`,
    [rows[0].id, c.cipher, c.keyId, macAlg, ctx.clock.now()]);
  return { merchant: o.merchant, terminal: o.code, check_value: checkValue(Buffer.from(hex, 'hex')).toString('hex').toUpperCase(), mac: macAlg };
}

interface Row { tmk_cipher: Buffer; tmk_key_id: string; mac_alg: 'cup' | 'x919'; pik_cipher: Buffer | null; mak_cipher: Buffer | null; work_key_id: string | null; batch: number }

const keyOf = (keys: Keyring, cipher: Buffer, id: string): Buffer => Buffer.from(decrypt(keys, cipher, id), 'hex');

/** The keys and open batch of a terminal, or null when no TMK was loaded for it. */
export async function terminalKeys(db: pg.Pool, keys: Keyring, terminalId: number): Promise<TerminalKeys | null> {
  const { rows } = await db.query<Row>(
    'select tmk_cipher, tmk_key_id, mac_alg, pik_cipher, mak_cipher, work_key_id, batch from iso_terminals where terminal_id = $1', [terminalId]);
  const r = rows[0];
  if (!r) return null;
  const signed = r.pik_cipher !== null && r.mak_cipher !== null && r.work_key_id !== null;
  return {
    tmk: keyOf(keys, r.tmk_cipher, r.tmk_key_id), macAlg: r.mac_alg, batch: r.batch,
    pik: signed ? keyOf(keys, r.pik_cipher!, r.work_key_id!) : null,
    mak: signed ? keyOf(keys, r.mak_cipher!, r.work_key_id!) : null,
  };
}

/**
 * Sign-on (0800, 60.3 = 003 double-length PIK, 001 single-length): new working keys, stored
 * encrypted with the key ring, and DE62 for the 0810 — PIK under the TMK (3DES-ECB) + its check
 * value, MAK under the TMK (+ 8 zero bytes for 003) + its check value (single DES). Also opens
 * the terminal's batch row. Returns DE62 and the current batch (60.2 of the 0810).
 */
export async function signOn(ctx: Context, terminalId: number, tmk: Buffer, double: boolean): Promise<{ de62: Buffer; batch: number }> {
  const pik = crypto.randomBytes(double ? 16 : 8);
  const mak = crypto.randomBytes(8);
  const keyId = ctx.keys.current;
  const { rows } = await ctx.db.pg.query<{ batch: number }>(
    `update iso_terminals set pik_cipher = $2, mak_cipher = $3, work_key_id = $4, signed_on_at = $5, updated_at = $5
     where terminal_id = $1 returning batch`,
    [terminalId, encrypt(ctx.keys, pik.toString('hex')).cipher, encrypt(ctx.keys, mak.toString('hex')).cipher, keyId, ctx.clock.now()]);
  const batch = rows[0]!.batch;
  await ctx.db.pg.query('insert into iso_batches (terminal_id, batch, opened_at) values ($1, $2, $3) on conflict do nothing', [terminalId, batch, ctx.clock.now()]);
  const de62 = Buffer.concat([
    encryptEcb(tmk, pik), checkValue(pik),
    encryptEcb(tmk, mak), double ? Buffer.alloc(8) : Buffer.alloc(0), checkValue(mak),
  ]);
  return { de62, batch };
}

/** Sign-off (0820, 60.3 = 002): the working keys are dropped; the terminal must sign on again. */
export async function signOff(ctx: Context, terminalId: number): Promise<void> {
  await ctx.db.pg.query(
    'update iso_terminals set pik_cipher = null, mak_cipher = null, work_key_id = null, signed_on_at = null, updated_at = $2 where terminal_id = $1',
    [terminalId, ctx.clock.now()]);
}

/**
 * The terminal side of sign-on: working keys out of an 0810's DE62 (simulator and tests), and
 * whether both match their check values (they do not when the TMK is not the host's).
 */
export function workingKeysOf(tmk: Buffer, de62: Buffer): { pik: Buffer; mak: Buffer; checked: boolean } {
  const pikLen = de62.length >= 40 ? 16 : 8;
  const pik = decryptEcb(tmk, de62.subarray(0, pikLen));
  const mak = decryptEcb(tmk, de62.subarray(pikLen + 4, pikLen + 12));
  const checked = checkValue(pik).equals(de62.subarray(pikLen, pikLen + 4)) && checkValue(mak).equals(de62.subarray(de62.length - 4));
  return { pik, mak, checked };
}
