import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { startEmbedded, type EmbeddedServer } from '../../src/db/embedded.js';
import { createLogger } from '../../src/logger.js';

/**
 * An embedded PostgreSQL of the test file's own, in a temporary PURSE_HOME (for tests that pause,
 * stop or restart the server: the shared test server must never be touched). Stopped and removed
 * after the file's tests.
 */
export async function ownServer(): Promise<{ home: string; server: EmbeddedServer; pids(): number[] }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-own-'));
  fs.chmodSync(home, 0o755);
  const server = await startEmbedded(home, createLogger('silent'), { durable: false });
  afterAll(async () => {
    signalAll(postgresPids(home), 'SIGCONT');
    await server.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });
  return { home, server, pids: () => postgresPids(home) };
}

/** The postmaster of the server under `home` and every process it started (read from /proc). */
export function postgresPids(home: string): number[] {
  const first = Number(fs.readFileSync(path.join(home, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(first) || first <= 0) return [];
  const children = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === first ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
  return [first, ...children];
}

export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}
