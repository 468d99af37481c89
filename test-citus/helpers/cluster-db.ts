import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';

/** Runs statements, one by one, on `url`. */
export async function onNode(url: string, sql: readonly string[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const s of sql) await c.query(s);
  } finally {
    await c.end();
  }
}

/** `url` with its database (and, when given, its port) replaced. */
export function withDb(url: string, name: string, port?: number): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  if (port !== undefined) u.port = String(port);
  return u.toString();
}

/**
 * Creates database `name` on a local cluster (coordinator `base`, workers on `workers`) and migrates
 * it: with `citus`, the database and the extension on every node and the workers registered in it,
 * so `purse db migrate` distributes the schema; without, a plain PostgreSQL 15 database on the
 * coordinator's server (the single-server reference, same build). Returns its URL and the ports of
 * the nodes that hold it (to drop it).
 */
export async function createClusterDatabase(base: string, workers: readonly number[], name: string, citus: boolean): Promise<{ url: string; ports: number[] }> {
  const ports = citus ? [Number(new URL(base).port), ...workers] : [Number(new URL(base).port)];
  for (const port of ports) await onNode(withDb(base, 'postgres', port), [`drop database if exists ${name} with (force)`, `create database ${name}`]);
  const url = withDb(base, name);
  if (citus) {
    for (const port of workers) await onNode(withDb(base, name, port), ['create extension citus']);
    await onNode(url, [
      'create extension citus',
      `select citus_set_coordinator_host('127.0.0.1', ${new URL(base).port})`,
      ...workers.map((p) => `select citus_add_node('127.0.0.1', ${p})`),
    ]);
  }
  await migrate(url);
  return { url, ports };
}

/** Drops database `name` on each of `ports` (errors ignored: cleanup). */
export async function dropClusterDatabase(base: string, ports: readonly number[], name: string): Promise<void> {
  for (const port of ports) await onNode(withDb(base, 'postgres', port), [`drop database if exists ${name} with (force)`]).catch(() => undefined);
}

/** The shared Citus scripts (build.sh, cluster.sh): PURSE_CITUS_DIR, else shared/citus in a parent directory. */
export function citusScriptsDir(): string {
  if (process.env.PURSE_CITUS_DIR) return process.env.PURSE_CITUS_DIR;
  for (let d = process.cwd(); d !== path.dirname(d); d = path.dirname(d)) {
    const candidate = path.join(d, 'shared', 'citus');
    if (fs.existsSync(path.join(candidate, 'cluster.sh'))) return candidate;
  }
  throw new Error('shared/citus (build.sh, cluster.sh) not found above the working directory; set PURSE_CITUS_DIR');
}

/**
 * Builds Citus if it is missing (the shared build.sh: Debian's PostgreSQL 15 and the extension) and
 * starts a coordinator on `port` and two workers on the next two ports in a new temporary directory.
 */
export function clusterUp(port: number): { dir: string; url: string } {
  const scripts = citusScriptsDir();
  execFileSync('bash', [path.join(scripts, 'build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-citus-'));
  fs.chmodSync(dir, 0o755);
  const url = execFileSync('bash', [path.join(scripts, 'cluster.sh'), 'up', dir, String(port)], { encoding: 'utf8' }).trim().split('\n').pop()!;
  return { dir, url };
}

/** Stops the cluster started by clusterUp and removes its directory. */
export function clusterDown(dir: string): void {
  execFileSync('bash', [path.join(citusScriptsDir(), 'cluster.sh'), 'down', dir], { stdio: 'inherit' });
  fs.rmSync(dir, { recursive: true, force: true });
}
