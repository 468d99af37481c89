import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, outputOf, runCli } from '../helpers/cli.js';

// Issue 20 §3: the embedded server restarted under a running daemon. No CLI command may stop a
// server a daemon uses. This file runs its own embedded server in its own PURSE_HOME.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-restart-'));
fs.chmodSync(home, 0o755);
const env: NodeJS.ProcessEnv = { ...process.env, PURSE_HOME: home, LOG_LEVEL: 'warn' };
delete env.DATABASE_URL;
delete env.PURSE_KEYS;

const postmaster = (): number | null => {
  const pid = Number(fs.readFileSync(path.join(home, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const daemon = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-scheduler'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
const exited = outputOf(daemon);
const url = await new Promise<string>((resolve, reject) => {
  let text = '';
  daemon.stderr.on('data', (d: Buffer) => {
    text += d.toString();
    const m = /listening on (\S+)/.exec(text);
    if (m) resolve(m[1]!);
  });
  daemon.on('close', () => reject(new Error(`daemon exited: ${text}`)));
});
afterAll(async () => {
  if (daemon.exitCode === null) daemon.kill('SIGKILL');
  const pid = fs.existsSync(path.join(home, 'pg', 'postmaster.pid')) ? postmaster() : null;
  if (pid && alive(pid)) process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && pid && alive(pid); i++) await sleep(100);
  fs.rmSync(home, { recursive: true, force: true });
});

/** /healthz of the daemon, waiting up to `ms` for it to become `want`. */
async function health(want: number, ms = 10_000): Promise<number> {
  let status = 0;
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    status = (await fetch(`${url}/healthz`).catch(() => null))?.status ?? 0;
    if (status === want) break;
  }
  return status;
}

describe('embedded PostgreSQL restarted under a running daemon', () => {
  it('a CLI command that starts the server again leaves it running for the daemon, which reconnects', async () => {
    expect(await health(200)).toBe(200);
    const first = postmaster()!;
    process.kill(first, 'SIGINT'); // the server stops under the daemon (fast shutdown)
    for (let i = 0; i < 100 && alive(first); i++) await sleep(100);
    expect(alive(first)).toBe(false);
    expect(await health(503)).toBe(503);

    const list = await runCli(['issuer', 'list'], env); // starts the server again, then leaves
    expect(list.code).toBe(0);
    const second = postmaster()!;
    expect(second).not.toBe(first);
    expect(alive(second)).toBe(true);
    expect(await health(200)).toBe(200);

    for (const args of [['issuer', 'add', '--code', 'AFTER', '--name', 'After restart'], ['db', 'status'], ['issuer', 'list']]) {
      const r = await runCli(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(alive(second)).toBe(true);
      expect(await health(200)).toBe(200);
    }
  });

  it('the daemon, last one out, stops the server it did not start', async () => {
    const pid = postmaster()!;
    daemon.kill('SIGTERM');
    const r = await exited;
    expect(r.code).toBe(0);
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
    expect(alive(pid)).toBe(false);
  });
});
