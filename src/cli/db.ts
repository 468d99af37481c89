import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { startEmbedded } from '../db/embedded.js';
import { migrate, migrationStatus } from '../db/migrate.js';
import { output, printLine, printTable } from './output.js';
import * as backup from './db-backup.js';

/**
 * Runs `fn` with a database URL (DATABASE_URL or the embedded server), without migrating first.
 * `create: false` (read-only commands): a PURSE_HOME without a database is an error, never a new one.
 */
export async function withUrl<T>(fn: (url: string, logger: Logger, config: Config) => Promise<T>, opts: { create?: boolean } = {}): Promise<T> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  if (config.databaseUrl) return fn(config.databaseUrl, logger, config);
  const server = await startEmbedded(config.purseHome, logger, { create: opts.create });
  try {
    return await fn(server.url, logger, config);
  } finally {
    await server.stop();
  }
}

/** Which server a command uses, for people: the DATABASE_URL server (password hidden) or the embedded one under PURSE_HOME. */
export function describeDatabase(config: Config): { server: string; home: string } {
  if (config.databaseUrl) {
    const u = new URL(config.databaseUrl);
    if (u.password) u.password = '***';
    return { server: `DATABASE_URL ${u.toString()}`, home: config.purseHome };
  }
  const dataDir = path.join(config.purseHome, 'pg');
  // As root with a home the postgres user cannot reach, home/pg links to the real data directory (db/embedded.ts).
  const target = linkTarget(dataDir);
  return { server: `embedded PostgreSQL in ${dataDir}${target ? ` (→ ${target})` : ''}`, home: config.purseHome };
}

function linkTarget(p: string): string | null {
  try {
    return fs.readlinkSync(p);
  } catch {
    return null;
  }
}

export function register(program: Command): void {
  const g = program.command('db').description('database schema, backup and restore');
  g.command('migrate').description('apply pending migrations (forward-only, under an advisory lock)').option('--json', 'print JSON')
    .action((o) => withUrl(async (url, logger) => {
      const applied = await migrate(url, logger);
      output(o.json, { applied }, (r) => printLine(r.applied.length ? `applied ${r.applied.join(', ')}` : 'up to date'));
    }));
  g.command('status').description('which database, and its applied, pending and changed migrations (exit 1 if an applied file changed)').option('--json', 'print JSON')
    .action((o) => withUrl(async (url, _logger, config) => {
      const rows = await migrationStatus(url);
      const where = describeDatabase(config);
      // --json stays the array of migrations it always was; people see the server and home first.
      output(o.json, rows, () => {
        printLine(`server: ${where.server}`);
        printLine(`home:   ${where.home}`);
        printTable(rows, ['version', 'name', 'state', 'appliedAt']);
      });
      if (rows.some((r) => r.state === 'changed')) process.exitCode = 1;
    }, { create: false }));
  backup.register(g);
}
