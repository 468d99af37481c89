import crypto from 'node:crypto';
import type { Keyring } from './keys.js';
import { InvariantError } from '../errors.js';

/** HMAC-SHA256 token of a PAN: the only form in which a PAN is looked up. */
export function panToken(keys: Keyring, pan: string): Buffer {
  return crypto.createHmac('sha256', keys.token).update(pan).digest();
}

/**
 * Encrypts with the current key: 12-byte IV | 16-byte tag | ciphertext. `random` supplies the IV
 * bytes (bulk issuance passes a pooled CSPRNG source; every IV must be fresh random bytes).
 */
export function encrypt(keys: Keyring, plain: string, random: (size: number) => Buffer = crypto.randomBytes): { cipher: Buffer; keyId: string } {
  const iv = random(12);
  const c = crypto.createCipheriv('aes-256-gcm', keys.encryption[keys.current]!, iv);
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return { cipher: Buffer.concat([iv, c.getAuthTag(), body]), keyId: keys.current };
}

/** Decrypts a value written by `encrypt` with the key it names. */
export function decrypt(keys: Keyring, cipher: Buffer, keyId: string): string {
  const key = keys.encryption[keyId];
  if (!key) throw new InvariantError('key_missing', `encryption key ${keyId} is not in the keyring`);
  const d = crypto.createDecipheriv('aes-256-gcm', key, cipher.subarray(0, 12));
  d.setAuthTag(cipher.subarray(12, 28));
  return Buffer.concat([d.update(cipher.subarray(28)), d.final()]).toString('utf8');
}

/** Keyed HMAC of (card, PIN) (design §5: a slow hash of a 4–6 digit PIN protects nothing). */
export function pinHmac(keys: Keyring, cardId: number, pin: string): Buffer {
  return crypto.createHmac('sha256', keys.pin).update(`${cardId}:${pin}`).digest();
}
