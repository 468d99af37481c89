import type { TestProject } from 'vitest/node';
import { generateKeyringJson } from '../../src/cards/keys.js';
import { clusterDown, clusterUp } from './cluster-db.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The coordinator's URL (database postgres); worker URLs are on the next two ports. */
    citusUrl: string;
    citusWorkerPorts: number[];
    citusKeysJson: string;
  }
}

let dir: string | undefined;

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
  const port = Number(process.env.PURSE_CITUS_PORT ?? 9740);
  let url: string;
  ({ dir, url } = clusterUp(port));
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
  clusterDown(dir);
}
