// The processes of the authorization bench: `purse serve` daemons, the load generator, the CLI.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadConfig, Phase, PhaseResult } from '../auth-load.js';
import { timePurse } from '../batch-tools.js';
import { childCpuSeconds } from '../backend-cpu.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** What every purse process of the run shares: its database, key ring and home. */
export interface PurseEnv { url: string; keysJson: string; home: string }

export interface Daemon { child: ChildProcess; url: string }

/** Starts `bin/purse serve` on a free port; its log (info level) goes to `logFile`. */
export async function startDaemon(env: PurseEnv, logFile: string): Promise<Daemon> {
  const log = fs.createWriteStream(logFile);
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'bin/purse'), 'serve', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: env.url, PURSE_KEYS: env.keysJson, PURSE_HOME: env.home, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const listening = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stderr! });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      const m = /purse daemon listening on (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`purse serve exited with ${code} before listening; see ${logFile}`)));
  });
  return { child, url: listening };
}

/** SIGTERM, and the exit code. */
export async function stopProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

/**
 * Runs the load generator (its own process, so its CPU is not the daemon's) for `phases`; returns
 * one result per phase. `onStart(name, at)` is called as each phase starts sending (epoch ms).
 */
export async function generate(cfg: Omit<LoadConfig, 'phases'>, phases: Phase[], home: string, onStart?: (name: string, at: number) => void): Promise<PhaseResult[]> {
  const file = path.join(home, `load-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...cfg, phases }), { mode: 0o600 });
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/bench/auth-load.ts'), file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const results: PhaseResult[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = JSON.parse(line) as PhaseResult | { started: string; at: number };
    if ('started' in msg) onStart?.(msg.started, msg.at);
    else results.push(msg);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  fs.rmSync(file, { force: true });
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return results;
}

/** `purse <args> --json` as an operator runs it (child process); its JSON output, when it ran (epoch ms) and its CPU seconds (user + system). */
export async function purseCli<T>(env: PurseEnv, args: string[]): Promise<{ out: T; from: number; to: number; seconds: number; cpu: number }> {
  const from = Date.now();
  const run = await timePurse([...args, '--json'], { ...process.env, DATABASE_URL: env.url, PURSE_KEYS: env.keysJson, PURSE_HOME: env.home, LOG_LEVEL: 'warn' });
  return { out: JSON.parse(run.stdout) as T, from, to: Date.now(), seconds: run.seconds, cpu: childCpuSeconds(run.stderr) };
}
