import type { Command } from 'commander';
import { backupDatabase } from '../db/backup.js';
import { restoreBackup } from '../db/restore.js';
import { keyringSource } from '../cards/keys.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { InputError } from '../errors.js';
import { systemClock } from '../clock.js';
import { readStdinLine } from './stdin.js';
import { output, printLine } from './output.js';
import { withUrl } from './db.js';

/** `purse db backup DIR` and `purse db restore DIR` (README "Operations"). */
export function register(g: Command): void {
  g.command('backup <dir>')
    .description('consistent backup of the database (and the key ring, sealed under a passphrase read from the first line of stdin) into a new directory')
    .option('--no-keys', 'leave the key ring out (it is kept elsewhere, e.g. PURSE_KEYS)')
    .option('--json', 'print JSON')
    .action((dir: string, o: { keys: boolean; json?: boolean }) => withUrl(async (url, _logger, config) => {
      const ring = keyringSource(config.keysJson, config.purseHome);
      if (ring.json === null) throw new InputError('no_keys', `no key ring at ${ring.source}: the data cannot be read without it`, 'PURSE_KEYS');
      const passphrase = o.keys ? await readStdinLine() : null;
      const m = await backupDatabase({ url, dir, keysJson: ring.json, passphrase, now: systemClock.now() });
      const rows = m.snapshot.tables.reduce((n, t) => n + t.rows, 0);
      output(o.json, { dir, tables: m.snapshot.tables.length, rows, keys: m.keys !== null, migrations: m.snapshot.migrations.length },
        (r) => printLine(`backed up ${r.rows} rows of ${r.tables} tables${r.keys ? ' and the key ring' : ' (without the key ring)'} into ${r.dir}`));
    }, { create: false }));
  g.command('restore <dir>')
    .description('restore a backup into a new database (the embedded one is created; a DATABASE_URL database must be empty); the passphrase is the first line of stdin')
    .option('--json', 'print JSON')
    .action(async (dir: string, o: { json?: boolean }) => {
      const config = loadConfig();
      const r = await restoreBackup(config, createLogger(config.logLevel), dir, readStdinLine);
      output(o.json, r, (x) => printLine(`restored ${x.rows} rows of ${x.tables} tables into the ${x.database} database (key ring ${x.keys})`));
    });
}
