import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { keyringSource, parseKeyring } from '../cards/keys.js';
import { InputError } from '../errors.js';
import { backupKeys, keyCheck, readBackup, type BackupManifest } from './backup.js';
import { startEmbedded } from './embedded.js';
import { migrate, readMigrations } from './migrate.js';
import { loadSnapshot } from './snapshot.js';

export interface RestoreResult { tables: number; rows: number; keys: 'restored' | 'already in place'; database: string }

/**
 * Puts the backup's key ring where this configuration reads it (`PURSE_HOME/keys.json`, mode
 * 0600), or checks that the ring already there (PURSE_KEYS or keys.json) is the backup's: a
 * restore never replaces keys, since other data may depend on them.
 */
function installKeys(config: Config, manifest: BackupManifest, fromBackup: string | null): RestoreResult['keys'] {
  const present = keyringSource(config.keysJson, config.purseHome);
  if (present.json !== null) {
    if (keyCheck(parseKeyring(present.json, present.source)) !== manifest.keyCheck) {
      throw new InputError('restore_keys', `${present.source} holds another key ring than the backup's: restore into a new PURSE_HOME, or provide the backup's keys`, 'keys');
    }
    return 'already in place';
  }
  if (fromBackup === null) throw new InputError('restore_keys', `the backup holds no keys (--no-keys) and there is no key ring at ${present.source}: set PURSE_KEYS or put the backup's keys.json there`, 'keys');
  fs.mkdirSync(config.purseHome, { recursive: true, mode: 0o755 });
  fs.writeFileSync(present.file!, fromBackup, { mode: 0o600, flag: 'wx' });
  return 'restored';
}

/**
 * Restores a backup directory (design: `purse db restore`) into the configured database, which
 * must be new (every table empty; the embedded one is created if missing): checks the files, puts
 * the key ring in place (opened with `passphrase`, the first line of stdin, when the backup holds
 * one), brings the schema to the backup's version, loads everything in one transaction, then
 * applies the migrations this version has beyond the backup's.
 */
export async function restoreBackup(config: Config, logger: Logger, dir: string, readPassphrase: () => Promise<string>): Promise<RestoreResult> {
  const abs = path.resolve(dir);
  const manifest = await readBackup(abs);
  const known = new Map((await readMigrations()).map((m) => [m.version, m.checksum]));
  for (const m of manifest.snapshot.migrations) {
    if (known.get(m.version) !== m.checksum) {
      throw new InputError('backup_schema', `the backup's migration ${m.version}_${m.name} is not this version's: restore with the Purse version that made it (${manifest.purseVersion}), then upgrade`, 'migrations');
    }
  }
  const present = keyringSource(config.keysJson, config.purseHome).json !== null;
  const fromBackup = manifest.keys && !present ? await backupKeys(abs, manifest, await readPassphrase()) : null;
  const keys = installKeys(config, manifest, fromBackup);
  let url = config.databaseUrl;
  let stop = async () => undefined as void;
  if (!url) {
    const server = await startEmbedded(config.purseHome, logger);
    url = server.url;
    stop = server.stop;
  }
  try {
    const upTo = Math.max(0, ...manifest.snapshot.migrations.map((m) => m.version));
    await migrate(url, logger, undefined, { upTo });
    const rows = await loadSnapshot(url, abs, manifest.snapshot);
    await migrate(url, logger);
    return { tables: manifest.snapshot.tables.length, rows, keys, database: config.databaseUrl ? 'DATABASE_URL' : `embedded in ${config.purseHome}` };
  } finally {
    await stop();
  }
}
