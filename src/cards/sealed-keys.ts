import crypto from 'node:crypto';
import { InputError } from '../errors.js';

/** scrypt cost: 2^15 × 8 × 128 B = 32 MiB and about 0.1 s per try, once per backup or restore. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/** The key ring as a backup holds it: AES-256-GCM under a key derived from a passphrase by scrypt. */
export interface SealedKeys {
  kdf: 'scrypt';
  n: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
  tag: string;
  cipher: string;
}

function derive(passphrase: string, salt: Buffer, n: number, r: number, p: number): Buffer {
  return crypto.scryptSync(passphrase.normalize('NFC'), salt, 32, { N: n, r, p, maxmem: SCRYPT.maxmem });
}

/** Encrypts the key ring's JSON text under `passphrase` (refuses an empty one). */
export function sealKeys(keysJson: string, passphrase: string): SealedKeys {
  if (passphrase.length === 0) throw new InputError('passphrase', 'the passphrase (first line of standard input) is empty', 'passphrase');
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', derive(passphrase, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p), iv);
  const text = Buffer.concat([cipher.update(keysJson, 'utf8'), cipher.final()]);
  return {
    kdf: 'scrypt', n: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p,
    salt: salt.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), cipher: text.toString('base64'),
  };
}

/** The key ring's JSON text; InputError when the passphrase is wrong or the file was altered. */
export function openKeys(sealed: SealedKeys, passphrase: string): string {
  if (sealed.kdf !== 'scrypt' || ![sealed.n, sealed.r, sealed.p].every(Number.isSafeInteger) || sealed.n > 2 ** 20) {
    throw new InputError('backup_keys', 'keys.enc: unknown key derivation', 'keys.enc');
  }
  try {
    const key = derive(passphrase, Buffer.from(sealed.salt, 'base64'), sealed.n, sealed.r, sealed.p);
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.cipher, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new InputError('wrong_passphrase', 'keys.enc cannot be opened: wrong passphrase (or the file was altered)', 'passphrase');
  }
}
