import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { startEmbedded, type EmbeddedServer } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';

/** A durable PostgreSQL for a benchmark: DATABASE_URL's server, or a fresh embedded one. */
export interface BenchDb {
  /** URL of a fresh, migrated database for this benchmark. */
  url: string;
  /** URL of the server's maintenance database (for baselines in their own database). */
  adminUrl: string;
  stop(): Promise<void>;
}

/** `url` with its database replaced by `database`. */
export function databaseUrl(url: string, database: string): string {
  return Object.assign(new URL(url), { pathname: `/${database}` }).toString();
}

let shared: { server?: EmbeddedServer; home?: string; adminUrl: string } | undefined;

/** Starts (once per bench run) the server, and creates a migrated database `name` on it. */
export async function benchDatabase(name: string): Promise<BenchDb> {
  if (!shared) {
    if (process.env.DATABASE_URL) {
      shared = { adminUrl: databaseUrl(process.env.DATABASE_URL, 'postgres') };
    } else {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-bench-'));
      fs.chmodSync(home, 0o755);
      const server = await startEmbedded(home, createLogger('warn'), { database: 'postgres' });
      shared = { server, home, adminUrl: server.url };
    }
  }
  const admin = new pg.Client({ connectionString: shared.adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = databaseUrl(shared.adminUrl, name);
  await migrate(url);
  return { url, adminUrl: shared.adminUrl, stop: async () => undefined };
}

/** Stops the embedded bench server, if one was started. */
export async function stopBenchServer(): Promise<void> {
  if (shared?.server) await shared.server.stop();
  if (shared?.home) fs.rmSync(shared.home, { recursive: true, force: true });
  shared = undefined;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Path of a PostgreSQL client tool (pgbench, psql), or undefined when it is not installed. */
export function pgTool(name: 'pgbench' | 'psql'): string | undefined {
  const candidates = [path.join(PG_BIN, name)];
  try {
    candidates.push(execFileSync('which', [name], { encoding: 'utf8' }).trim());
  } catch {
    // not on PATH
  }
  return candidates.find((p) => p && fs.existsSync(p));
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export function report(title: string, lines: Record<string, string | number>): void {
  console.log(`\n== ${title}`);
  for (const [k, v] of Object.entries(lines)) console.log(`  ${k}: ${v}`);
}
