import { spawn } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { createEmptyDatabase } from '../helpers/empty-db.js';
import { BIN, outputOf, runCli } from '../helpers/cli.js';
import { migrate, migrationStatus, readMigrations } from '../../src/db/migrate.js';

// Issue 20 §8: against a DATABASE_URL server, `purse serve` never upgrades the schema by itself.
const url = await createEmptyDatabase();
const versions = (await readMigrations()).map((m) => m.version);
await migrate(url, undefined, undefined, { upTo: versions[versions.length - 2] });
const env = { ...process.env, DATABASE_URL: url, PURSE_KEYS: inject('keysJson'), LOG_LEVEL: 'info' };

describe('upgrades of a DATABASE_URL server', () => {
  it('purse serve refuses a database with pending migrations (exit 1, one clear line), changing nothing', async () => {
    const r = await runCli(['serve', '--port', '0', '--no-scheduler'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 pending migration\(s\) \(from \d+\).*purse serve --migrate/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect((await migrationStatus(url)).filter((m) => m.state === 'pending')).toHaveLength(1);
  }, 120_000);

  it('purse serve --migrate applies them and serves', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--migrate', '--port', '0', '--no-scheduler'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => {
      if (d.toString().includes('listening on')) child.kill('SIGTERM');
    });
    const r = await outputOf(child);
    expect(r.stderr).toContain('listening on');
    expect(r.code).toBe(0);
    expect((await migrationStatus(url)).every((m) => m.state === 'applied')).toBe(true);
  }, 120_000);
});
