/**
 * Personal data of a cardholder (design §10): validated and normalized, encrypted as one JSON
 * document with the key ring, looked up only through keyed blind indexes, shown masked.
 */
import crypto from 'node:crypto';
import type { Keyring } from '../cards/keys.js';
import { decrypt, encrypt } from '../cards/vault.js';
import { InputError } from '../errors.js';

export const ID_TYPES = ['resident_id', 'passport', 'other'] as const;
export type IdType = (typeof ID_TYPES)[number];

export interface Pii { name: string; id_type: IdType; id_number: string; mobile: string }

/** A mobile number as stored and indexed: digits with an optional leading +, 6–15 digits. */
export function normalizeMobile(raw: unknown, field = 'mobile'): string {
  const s = typeof raw === 'string' ? raw.replace(/[\s-]/g, '') : '';
  if (!/^\+?\d{6,15}$/.test(s)) throw new InputError('invalid_mobile', `${field}: 6 to 15 digits, optionally with a leading +`, field);
  return s;
}

/** An ID number as stored and indexed: 4–32 letters, digits or '-', upper case. */
export function normalizeIdNumber(raw: unknown, field = 'id_number'): string {
  const s = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
  if (!/^[A-Z0-9-]{4,32}$/.test(s)) throw new InputError('invalid_id_number', `${field}: 4 to 32 letters, digits or -`, field);
  return s;
}

/** Validates and normalizes a holder's personal data, naming the field at fault. */
export function parsePii(input: { name?: unknown; id_type?: unknown; id_number?: unknown; mobile?: unknown }): Pii {
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name.length < 1 || name.length > 100 || /\p{Cc}/u.test(name)) throw new InputError('invalid_name', 'name: 1 to 100 characters', 'name');
  if (!(ID_TYPES as readonly unknown[]).includes(input.id_type)) throw new InputError('invalid_id_type', `id_type must be one of ${ID_TYPES.join(', ')}`, 'id_type');
  return { name, id_type: input.id_type as IdType, id_number: normalizeIdNumber(input.id_number), mobile: normalizeMobile(input.mobile) };
}

/** The blind-index key: derived from the token key, so it lives outside the database like it, yet never equals a PAN token. */
function indexKey(keys: Keyring): Buffer {
  return crypto.createHmac('sha256', keys.token).update('purse:holder-blind-index:v1').digest();
}

/** Keyed blind index of a normalized mobile number. */
export function mobileIndex(keys: Keyring, mobile: string): Buffer {
  return crypto.createHmac('sha256', indexKey(keys)).update(`mobile:${mobile}`).digest();
}

/** Keyed blind index of a normalized ID number (the type is not part of it: a number is searched whatever its type). */
export function idNumberIndex(keys: Keyring, idNumber: string): Buffer {
  return crypto.createHmac('sha256', indexKey(keys)).update(`id:${idNumber}`).digest();
}

export function sealPii(keys: Keyring, pii: Pii): { cipher: Buffer; keyId: string } {
  return encrypt(keys, JSON.stringify({ name: pii.name, id_number: pii.id_number, mobile: pii.mobile }));
}

export function openPii(keys: Keyring, cipher: Buffer, keyId: string): Omit<Pii, 'id_type'> {
  return JSON.parse(decrypt(keys, cipher, keyId)) as Omit<Pii, 'id_type'>;
}

/** Masks: name keeps its first character, mobile its first 3 and last 4 digits, ID number its last 4. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars[0]! + '*'.repeat(Math.max(1, chars.length - 1));
}

export function maskMobile(mobile: string): string {
  return mobile.length <= 7 ? `${'*'.repeat(mobile.length - 4)}${mobile.slice(-4)}` : `${mobile.slice(0, 3)}${'*'.repeat(mobile.length - 7)}${mobile.slice(-4)}`;
}

export function maskIdNumber(idNumber: string): string {
  return `${'*'.repeat(idNumber.length - 4)}${idNumber.slice(-4)}`;
}
