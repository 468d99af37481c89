import crypto from 'node:crypto';
import { sql } from 'slonik';
import type { Context } from '../context.js';
import { auditSql, type Actor } from '../admin/audit.js';
import * as v from './validate.js';
import { idOf, insertUnique } from './lookup.js';
import { NotFoundError } from '../errors.js';
import { decrypt, encrypt } from '../cards/vault.js';
import type { Keyring } from '../cards/keys.js';
import type { Queryable } from '../ledger/post.js';
import { notifyChannelChanged } from './notify.js';

export interface Channel {
  id: number; code: string; name: string; fee_fixed: number; fee_bps: number; merchants: string[];
  old_secret_until: string | null; created_at: string;
}

const SELECT = sql.fragment`
  select c.id, c.code, c.name, c.fee_fixed, c.fee_bps, c.old_secret_until, c.created_at,
    coalesce((select array_agg(m.code order by m.code) from channel_merchants x join merchants m on m.id = x.merchant_id where x.channel_id = c.id), '{}') as merchants
  from channels c`;

/** A new channel secret: 32 random bytes, hex. */
function newSecret(): string {
  return crypto.randomBytes(32).toString('hex');
}

/**
 * Registers an acquiring channel with the merchants it may submit for and its fee (fixed minor
 * units per approved financial transaction plus basis points of the stored-value amount).
 * Returns the HMAC secret once; it is stored only encrypted.
 */
export async function addChannel(ctx: Context, input: { code: unknown; name?: unknown; merchants?: unknown; feeFixed?: unknown; feeBps?: unknown }, actor?: Actor): Promise<Channel & { secret: string }> {
  const code = v.code(input.code);
  const name = v.name(input.name ?? code);
  const feeFixed = input.feeFixed === undefined ? 0 : v.int(input.feeFixed, 'fee_fixed', 0, 1e9);
  const feeBps = input.feeBps === undefined ? 0 : v.int(input.feeBps, 'fee_bps', 0, 10000);
  const merchants = v.codeList(input.merchants, 'merchants');
  const secret = newSecret();
  const enc = encrypt(ctx.keys, secret);
  return ctx.db.sql.transaction(async (tx) => {
    const merchantIds: number[] = [];
    for (const [i, m] of merchants.entries()) merchantIds.push(await idOf(tx, 'merchants', m, `merchants[${i}]`));
    const id = (await insertUnique('channel', code, 'code', () => tx.oneFirst(sql.unsafe`
      insert into channels (code, name, secret_cipher, secret_key_id, fee_fixed, fee_bps)
      values (${code}, ${name}, ${sql.binary(enc.cipher)}, ${enc.keyId}, ${feeFixed}, ${feeBps}) returning id`))) as number;
    for (const m of merchantIds) await tx.query(sql.unsafe`insert into channel_merchants (channel_id, merchant_id) values (${id}, ${m}) on conflict do nothing`);
    const channel = (await tx.one(sql.unsafe`${SELECT} where c.id = ${id}`)) as Channel;
    if (actor) await auditSql(tx, ctx, actor, { action: 'channel.add', target: `channel:${code}`, outcome: 'ok', after: channel });
    return { ...channel, secret };
  });
}

/**
 * Replaces a channel's secret; the old one stays valid for `overlapHours` (default 24) so the
 * channel can switch without declined traffic. Returns the new secret once.
 */
export async function rotateChannelSecret(ctx: Context, code: string, overlapHours: unknown = 24, actor?: Actor): Promise<Channel & { secret: string }> {
  const hours = v.int(overlapHours, 'overlap_hours', 0, 24 * 30);
  const secret = newSecret();
  const enc = encrypt(ctx.keys, secret);
  const until = new Date(ctx.clock.now().getTime() + hours * 3_600_000).toISOString();
  return ctx.db.sql.transaction(async (tx) => {
    const id = await idOf(tx, 'channels', code, 'code');
    await tx.query(sql.unsafe`
      update channels set old_secret_cipher = secret_cipher, old_secret_key_id = secret_key_id, old_secret_until = ${until},
        secret_cipher = ${sql.binary(enc.cipher)}, secret_key_id = ${enc.keyId}
      where id = ${id}`);
    if (actor) await auditSql(tx, ctx, actor, { action: 'channel.rotate_secret', target: `channel:${code}`, outcome: 'ok', after: { overlap_hours: hours } });
    await notifyChannelChanged(tx, code);
    return { ...((await tx.one(sql.unsafe`${SELECT} where c.id = ${id}`)) as Channel), secret };
  });
}

/**
 * Revokes a channel's previous secret now (ends a rotation's overlap early, e.g. when the old
 * secret leaked). Running daemons refuse it at once (notifyChannelChanged).
 */
export async function revokeOldSecret(ctx: Context, code: string, actor?: Actor): Promise<Channel> {
  return ctx.db.sql.transaction(async (tx) => {
    const id = await idOf(tx, 'channels', code, 'code');
    await tx.query(sql.unsafe`update channels set old_secret_cipher = null, old_secret_key_id = null, old_secret_until = null where id = ${id}`);
    await notifyChannelChanged(tx, code);
    if (actor) await auditSql(tx, ctx, actor, { action: 'channel.revoke_old_secret', target: `channel:${code}`, outcome: 'ok' });
    return (await tx.one(sql.unsafe`${SELECT} where c.id = ${id}`)) as Channel;
  });
}

/** Lets a channel submit for more merchants. */
export async function allowMerchants(ctx: Context, code: string, merchants: unknown): Promise<Channel> {
  const list = v.codeList(merchants, 'merchants');
  return ctx.db.sql.transaction(async (tx) => {
    const id = await idOf(tx, 'channels', code, 'code');
    for (const [i, m] of list.entries()) {
      const mid = await idOf(tx, 'merchants', m, `merchants[${i}]`);
      await tx.query(sql.unsafe`insert into channel_merchants (channel_id, merchant_id) values (${id}, ${mid}) on conflict do nothing`);
    }
    await notifyChannelChanged(tx, code);
    return (await tx.one(sql.unsafe`${SELECT} where c.id = ${id}`)) as Channel;
  });
}

export async function listChannels(ctx: Context): Promise<Channel[]> {
  return (await ctx.db.sql.any(sql.unsafe`${SELECT} order by c.code`)) as Channel[];
}

export async function showChannel(ctx: Context, code: string): Promise<Channel> {
  const row = await ctx.db.sql.maybeOne(sql.unsafe`${SELECT} where c.code = ${code}`);
  if (!row) throw new NotFoundError('channel', code, 'code');
  return row as Channel;
}

/**
 * The secrets that verify a signature of channel `channelId` at `at` (the context clock): the
 * current one, then the previous one while its rotation overlap lasts (`at` < old_secret_until).
 * Empty for an unknown channel.
 */
export async function channelSecrets(db: Queryable, keys: Keyring, channelId: number, at: Date): Promise<string[]> {
  const { rows } = await db.query<{ secret_cipher: Buffer; secret_key_id: string; old_secret_cipher: Buffer | null; old_secret_key_id: string | null; old_valid: boolean }>(`
    select secret_cipher, secret_key_id, old_secret_cipher, old_secret_key_id,
           coalesce(old_secret_until > $2::timestamptz, false) as old_valid
    from channels where id = $1`, [channelId, at]);
  const row = rows[0];
  if (!row) return [];
  const secrets = [decrypt(keys, row.secret_cipher, row.secret_key_id)];
  if (row.old_valid && row.old_secret_cipher && row.old_secret_key_id) secrets.push(decrypt(keys, row.old_secret_cipher, row.old_secret_key_id));
  return secrets;
}
