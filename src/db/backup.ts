import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AtomicFile } from '../batch/atomic-file.js';
import { parseKeyring, type Keyring } from '../cards/keys.js';
import { openKeys, sealKeys, type SealedKeys } from '../cards/sealed-keys.js';
import { InputError } from '../errors.js';
import { purseVersion } from '../version.js';
import { checkSnapshotFiles, writeSnapshot, type Snapshot } from './snapshot.js';

const MANIFEST = 'manifest.json';
const KEYS_FILE = 'keys.enc';

/** `manifest.json` of a backup directory: written last, so a directory without one is incomplete. */
export interface BackupManifest {
  format: 'purse-backup';
  formatVersion: 1;
  createdAt: string;
  purseVersion: string;
  /** Fingerprint of the key ring the data needs (keyCheck): a restore refuses other keys. */
  keyCheck: string;
  /** `keys.enc` when the key ring is in the backup (sealed under the passphrase), else null (`--no-keys`). */
  keys: string | null;
  snapshot: Snapshot;
}

/**
 * A fingerprint of a key ring (an HMAC under its own token key over every key): equal for the
 * same ring, and tells nothing about the keys.
 */
export function keyCheck(keys: Keyring): string {
  const h = crypto.createHmac('sha256', keys.token).update('purse-key-check\0').update(keys.pin);
  for (const id of Object.keys(keys.encryption).sort()) h.update(`\0${id}\0`).update(keys.encryption[id]!);
  return h.digest('hex');
}

/**
 * Backs up the database at `url` into `dir` (created; must be empty): a consistent snapshot
 * (writeSnapshot), the key ring sealed under `passphrase` unless it is null (`--no-keys`), and the
 * manifest, written last and fsynced.
 */
export async function backupDatabase(opts: { url: string; dir: string; keysJson: string; passphrase: string | null; now: Date }): Promise<BackupManifest> {
  const dir = path.resolve(opts.dir);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await fs.readdir(dir)).length > 0) throw new InputError('backup_dir_not_empty', `${dir} is not empty: back up into a new directory`, 'DIR');
  const keys = parseKeyring(opts.keysJson, 'key ring');
  const sealed = opts.passphrase === null ? null : sealKeys(opts.keysJson, opts.passphrase);
  const snapshot = await writeSnapshot(opts.url, dir);
  if (sealed) await writeJson(path.join(dir, KEYS_FILE), sealed);
  const manifest: BackupManifest = {
    format: 'purse-backup', formatVersion: 1, createdAt: opts.now.toISOString(), purseVersion: purseVersion(),
    keyCheck: keyCheck(keys), keys: sealed ? KEYS_FILE : null, snapshot,
  };
  await writeJson(path.join(dir, MANIFEST), manifest);
  return manifest;
}

async function writeJson(file: string, value: unknown): Promise<void> {
  const f = await AtomicFile.open(file, 0o600);
  await f.write(`${JSON.stringify(value, null, 2)}\n`);
  await f.commit();
}

/** Reads and checks a backup directory: its manifest, and every table file against its SHA-256. */
export async function readBackup(dir: string): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(dir, MANIFEST), 'utf8')) as BackupManifest;
  } catch {
    throw new InputError('backup_incomplete', `${path.join(dir, MANIFEST)} is missing or not JSON: not a complete Purse backup`, 'DIR');
  }
  if (manifest?.format !== 'purse-backup' || manifest.formatVersion !== 1 || !Array.isArray(manifest.snapshot?.tables)) {
    throw new InputError('backup_format', `${dir} is not a Purse backup of a format this version reads`, 'manifest.json');
  }
  await checkSnapshotFiles(dir, manifest.snapshot);
  return manifest;
}

/** The key ring's JSON text from a backup, opened with `passphrase`, checked against the manifest. */
export async function backupKeys(dir: string, manifest: BackupManifest, passphrase: string): Promise<string> {
  if (!manifest.keys) throw new InputError('backup_no_keys', 'this backup was made with --no-keys: provide the key ring by PURSE_KEYS or PURSE_HOME/keys.json', 'keys');
  const sealed = JSON.parse(await fs.readFile(path.join(dir, KEYS_FILE), 'utf8')) as SealedKeys;
  const json = openKeys(sealed, passphrase);
  if (keyCheck(parseKeyring(json, KEYS_FILE)) !== manifest.keyCheck) throw new InputError('backup_keys', 'keys.enc does not hold the key ring the manifest names', KEYS_FILE);
  return json;
}
