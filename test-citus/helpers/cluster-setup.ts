import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { generateKeyringJson } from '../../src/cards/keys.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The coordinator's URL (database postgres); worker URLs are on the next two ports. */
    citusUrl: string;
    citusWorkerPorts: number[];
    citusKeysJson: string;
  }
}

let dir: string | undefined;

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
 * Builds Citus if it is missing (the shared build.sh: Debian's PostgreSQL 15 and the extension),
 * starts a coordinator and two workers in a temporary directory (port PURSE_CITUS_PORT, default
 * 9740, and the next two) and stops them after the run.
 */
export function setup(project: TestProject): void {
  project.provide('citusKeysJson', generateKeyringJson());
  if (process.env.PURSE_CITUS_URL) {
    // A cluster already running (cluster.sh up DIR PORT): used as it is, left running.
    const url = process.env.PURSE_CITUS_URL;
    const port = Number(new URL(url).port);
    project.provide('citusUrl', url);
    project.provide('citusWorkerPorts', [port + 1, port + 2]);
    return;
  }
  const scripts = citusScriptsDir();
  execFileSync('bash', [path.join(scripts, 'build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-citus-'));
  fs.chmodSync(dir, 0o755);
  const port = Number(process.env.PURSE_CITUS_PORT ?? 9740);
  const url = execFileSync('bash', [path.join(scripts, 'cluster.sh'), 'up', dir, String(port)], { encoding: 'utf8' }).trim().split('\n').pop()!;
  project.provide('citusUrl', url);
  project.provide('citusWorkerPorts', [port + 1, port + 2]);
}

/** Stops the cluster and removes its directory, unless PURSE_CITUS_KEEP is set (to read its logs). */
export function teardown(): void {
  if (!dir) return;
  if (process.env.PURSE_CITUS_KEEP) {
    process.stderr.write(`citus cluster kept running in ${dir} (cluster.sh down ${dir})\n`);
    return;
  }
  execFileSync('bash', [path.join(citusScriptsDir(), 'cluster.sh'), 'down', dir], { stdio: 'inherit' });
  fs.rmSync(dir, { recursive: true, force: true });
}
