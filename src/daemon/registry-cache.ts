import type { Context } from '../context.js';
import { decrypt } from '../cards/vault.js';
import { mapDbError } from '../db/errors.js';
import { Lru } from './lru.js';

/** An acquiring channel as the daemon needs it. */
export interface ChannelInfo {
  id: number;
  code: string;
  feeFixed: number;
  feeBps: number;
  secret: string;
  oldSecret: string | null;
  oldSecretUntil: Date | null;
  merchantIds: ReadonlySet<number>;
}

export interface MerchantInfo {
  id: number;
  code: string;
  commissionBps: number;
  /** Programs the merchant accepts; null = every program. */
  programIds: ReadonlySet<number> | null;
  terminals: ReadonlyMap<string, number>;
  earnSchemeId: number | null;
  earnRate: number | null;
  earnCap: number | null;
}

export interface ProgramInfo {
  id: number;
  code: string;
  issuerId: number;
  kind: string;
  currency: string;
  maxBalance: number;
  reloadable: boolean;
  requiresPin: boolean;
  holdExpiryDays: number;
  schemeId: number | null;
}

/**
 * How long registry rows are reused before being read again (a fee change takes effect within
 * this; a channel's secret change at once, through RegistryListener's notification).
 */
export const REGISTRY_TTL_MS = 5_000;
/** Bounds of the caches: an unauthenticated client must not be able to grow the daemon's memory. */
const CHANNEL_CACHE_MAX = 1_000;
const MERCHANT_CACHE_MAX = 10_000;
const PROGRAM_CACHE_MAX = 10_000;

/** Shape of a registry code (src/registry/validate.ts): anything else cannot name a channel or merchant. */
const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/** Whether `code` has the shape of a registry code (checked before any lookup or cache use). */
export function isRegistryCode(code: string): boolean {
  return CODE.test(code);
}

interface Slot<T> { at: number; value: Promise<T | null> }

/**
 * Short-lived in-memory cache of registry rows (channels, merchants, programs) and of the
 * immutable PAN-token → card id mapping. Card STATE is never cached: it is read under row locks
 * in every batch. Wall time (not the business clock) drives expiry. Every cache is a bounded LRU,
 * a code that cannot be a registry code is unknown without a lookup, and misses are not kept
 * (an unknown code is read again next time, so junk never fills memory).
 */
export class RegistryCache {
  private channels = new Lru<string, Slot<ChannelInfo>>(CHANNEL_CACHE_MAX);
  private merchants = new Lru<string, Slot<MerchantInfo>>(MERCHANT_CACHE_MAX);
  private programs = new Lru<number, Slot<ProgramInfo>>(PROGRAM_CACHE_MAX);

  constructor(private readonly ctx: Context) {}

  /** The channel, or null when unknown (or not shaped like a code: no lookup then). */
  channel(code: string): Promise<ChannelInfo | null> {
    if (!isRegistryCode(code)) return Promise.resolve(null);
    return this.cached(this.channels, code, () => this.loadChannel(code));
  }

  /** The merchant, or null when unknown (or not shaped like a code: no lookup then). */
  merchant(code: string): Promise<MerchantInfo | null> {
    if (!isRegistryCode(code)) return Promise.resolve(null);
    return this.cached(this.merchants, code, () => this.loadMerchant(code));
  }

  /** Forgets a channel (its secret or merchants changed): the next request reads it again. */
  forgetChannel(code: string): void {
    this.channels.delete(code);
  }

  /** Forgets every channel (notifications may have been missed while the listener was away). */
  forgetChannels(): void {
    this.channels.clear();
  }

  program(id: number): Promise<ProgramInfo | null> {
    return this.cached(this.programs, id, () => this.loadProgram(id));
  }

  /** Concurrent reads of one key share a load; a miss (null) or a failure is not kept. */
  private cached<K, T>(map: Lru<K, Slot<T>>, key: K, load: () => Promise<T | null>): Promise<T | null> {
    const now = Date.now();
    const slot = map.get(key);
    if (slot && now - slot.at < REGISTRY_TTL_MS) return slot.value;
    const value = load().then(
      (v) => {
        if (v === null && map.get(key)?.value === value) map.delete(key);
        return v;
      },
      (err) => {
        if (map.get(key)?.value === value) map.delete(key);
        throw mapDbError(err);
      },
    );
    map.set(key, { at: now, value });
    return value;
  }

  private async loadChannel(code: string): Promise<ChannelInfo | null> {
    const { rows } = await this.ctx.db.pg.query<{
      id: number; code: string; fee_fixed: number; fee_bps: number; secret_cipher: Buffer; secret_key_id: string;
      old_secret_cipher: Buffer | null; old_secret_key_id: string | null; old_secret_until: Date | null; merchant_ids: number[];
    }>({
      name: 'daemon_channel',
      text: `select c.id, c.code, c.fee_fixed, c.fee_bps, c.secret_cipher, c.secret_key_id, c.old_secret_cipher, c.old_secret_key_id,
                    c.old_secret_until, coalesce((select array_agg(merchant_id) from channel_merchants where channel_id = c.id), '{}') as merchant_ids
             from channels c where c.code = $1`,
      values: [code],
    });
    const r = rows[0];
    if (!r) return null;
    const keys = this.ctx.keys;
    return {
      id: r.id, code: r.code, feeFixed: r.fee_fixed, feeBps: r.fee_bps,
      secret: decrypt(keys, r.secret_cipher, r.secret_key_id),
      oldSecret: r.old_secret_cipher && r.old_secret_key_id ? decrypt(keys, r.old_secret_cipher, r.old_secret_key_id) : null,
      oldSecretUntil: r.old_secret_until,
      merchantIds: new Set(r.merchant_ids.map(Number)),
    };
  }

  private async loadMerchant(code: string): Promise<MerchantInfo | null> {
    const { rows } = await this.ctx.db.pg.query<{
      id: number; code: string; commission_bps: number; earn_scheme_id: number | null; earn_rate: number | null; earn_cap: number | null;
      program_ids: number[]; terminals: { code: string; id: number }[];
    }>({
      name: 'daemon_merchant',
      text: `select m.id, m.code, m.commission_bps, m.earn_scheme_id, m.earn_rate, m.earn_cap,
                    coalesce((select array_agg(program_id) from merchant_programs where merchant_id = m.id), '{}') as program_ids,
                    coalesce((select json_agg(json_build_object('code', t.code, 'id', t.id)) from terminals t where t.merchant_id = m.id), '[]') as terminals
             from merchants m where m.code = $1`,
      values: [code],
    });
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id, code: r.code, commissionBps: r.commission_bps, earnSchemeId: r.earn_scheme_id, earnRate: r.earn_rate, earnCap: r.earn_cap,
      programIds: r.program_ids.length ? new Set(r.program_ids.map(Number)) : null,
      terminals: new Map(r.terminals.map((t) => [t.code, Number(t.id)])),
    };
  }

  private async loadProgram(id: number): Promise<ProgramInfo | null> {
    const { rows } = await this.ctx.db.pg.query<{
      id: number; code: string; issuer_id: number; kind: string; currency: string; max_balance: number; reloadable: boolean;
      requires_pin: boolean; hold_expiry_days: number; scheme_id: number | null;
    }>({
      name: 'daemon_program',
      text: `select id, code, issuer_id, kind, currency, max_balance, reloadable, requires_pin, hold_expiry_days, scheme_id
             from programs where id = $1`,
      values: [id],
    });
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id, code: r.code, issuerId: r.issuer_id, kind: r.kind, currency: r.currency, maxBalance: r.max_balance, reloadable: r.reloadable,
      requiresPin: r.requires_pin, holdExpiryDays: r.hold_expiry_days, schemeId: r.scheme_id,
    };
  }
}
