import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { startEmbedded } from '../db/embedded.js';
import { migrate, migrationStatus } from '../db/migrate.js';
import { output, printLine, printTable } from './output.js';

/** Runs `fn` with a database URL (DATABASE_URL or the embedded server), without migrating first. */
async function withUrl<T>(fn: (url: string, logger: Logger) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  if (config.databaseUrl) return fn(config.databaseUrl, logger);
  const server = await startEmbedded(config.purseHome, logger);
  try {
    return await fn(server.url, logger);
  } finally {
    await server.stop();
  }
}

export function register(program: Command): void {
  const g = program.command('db').description('database schema');
  g.command('migrate').description('apply pending migrations (forward-only, under an advisory lock)').option('--json', 'print JSON')
    .action((o) => withUrl(async (url, logger) => {
      const applied = await migrate(url, logger);
      output(o.json, { applied }, (r) => printLine(r.applied.length ? `applied ${r.applied.join(', ')}` : 'up to date'));
    }));
  g.command('status').description('applied, pending and changed migrations (exit 1 if an applied file changed)').option('--json', 'print JSON')
    .action((o) => withUrl(async (url) => {
      const rows = await migrationStatus(url);
      output(o.json, rows, (r) => printTable(r, ['version', 'name', 'state', 'appliedAt']));
      if (rows.some((r) => r.state === 'changed')) process.exitCode = 1;
    }));
}
