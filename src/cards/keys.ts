import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { InputError } from '../errors.js';

/**
 * Key material kept outside the database (design §5). `encryption` keys are AES-256 keys by id;
 * `current` names the one new ciphertexts use (rotation: add a key, point `current` at it; old
 * ciphertexts keep their key id and stay readable). `token` keys the PAN lookup HMAC and `pin` the
 * PIN HMAC; both must stay stable for the life of the data.
 */
export interface Keyring {
  current: string;
  encryption: Record<string, Buffer>;
  token: Buffer;
  pin: Buffer;
}

interface KeyringJson { current: string; encryption: Record<string, string>; token: string; pin: string }

/** Parses keyring JSON (base64 keys of 32 bytes), naming the bad field. */
export function parseKeyring(json: string, source: string): Keyring {
  let raw: KeyringJson;
  try {
    raw = JSON.parse(json) as KeyringJson;
  } catch {
    throw new InputError('keys', `${source} is not valid JSON`, source);
  }
  const key = (v: unknown, field: string): Buffer => {
    const b = typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.alloc(0);
    if (b.length !== 32) throw new InputError('keys', `${source}: ${field} must be 32 bytes, base64`, field);
    return b;
  };
  if (!raw || typeof raw.encryption !== 'object' || raw.encryption === null) throw new InputError('keys', `${source}: encryption keys missing`, 'encryption');
  const encryption: Record<string, Buffer> = {};
  for (const [id, v] of Object.entries(raw.encryption)) encryption[id] = key(v, `encryption.${id}`);
  if (typeof raw.current !== 'string' || !encryption[raw.current]) throw new InputError('keys', `${source}: current must name an encryption key`, 'current');
  return { current: raw.current, encryption, token: key(raw.token, 'token'), pin: key(raw.pin, 'pin') };
}

/** A fresh keyring with one encryption key `k1`. */
export function generateKeyringJson(): string {
  const k = () => crypto.randomBytes(32).toString('base64');
  return JSON.stringify({ current: 'k1', encryption: { k1: k() }, token: k(), pin: k() }, null, 2);
}

/**
 * The keyring from PURSE_KEYS if set, else `<home>/keys.json`, generated once with mode 0600
 * (unless `create` is false: a read-only command then fails naming the file).
 */
export function loadKeyring(keysJson: string | undefined, home: string, opts: { create?: boolean } = {}): Keyring {
  if (keysJson) return parseKeyring(keysJson, 'PURSE_KEYS');
  const file = path.join(home, 'keys.json');
  if (!fs.existsSync(file) && opts.create === false) {
    throw new InputError('no_keys', `no key ring at ${file} (PURSE_HOME) and PURSE_KEYS is not set: set the one this database uses`, 'PURSE_KEYS');
  }
  if (!fs.existsSync(file)) {
    fs.mkdirSync(home, { recursive: true, mode: 0o755 });
    try {
      fs.writeFileSync(file, generateKeyringJson(), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return parseKeyring(fs.readFileSync(file, 'utf8'), file);
}

/** Where the key ring comes from: PURSE_KEYS, else `<home>/keys.json`. */
export function keyringSource(keysJson: string | undefined, home: string): { json: string | null; source: string; file: string | null } {
  if (keysJson) return { json: keysJson, source: 'PURSE_KEYS', file: null };
  const file = path.join(home, 'keys.json');
  return { json: fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null, source: file, file };
}
