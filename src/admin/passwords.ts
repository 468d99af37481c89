import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;
const N = 16384, R = 8, P = 1, LEN = 32;

/** Rules every new password meets: 10–200 characters, not only digits. */
export function checkPasswordRules(password: string, field = 'password'): void {
  if (password.length < 10 || password.length > 200) throw new InputError('weak_password', 'a password has 10 to 200 characters', field);
  if (/^\d+$/.test(password)) throw new InputError('weak_password', 'a password must not be only digits', field);
}

/** scrypt hash with a fresh salt, as `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password, salt, LEN, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** A hash no password matches: checked for unknown users so timing does not tell which usernames exist. */
export const DUMMY_HASH = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(LEN).toString('base64')}`;

/** Whether `password` matches `stored`; compares in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [tag, n, r, p, salt, hash] = stored.split('$');
  if (tag !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return crypto.timingSafeEqual(got, expected);
}
