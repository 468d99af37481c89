// Shared by the issuance and load benchmarks: the CLI as a measured child process, COPY from a file.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** BENCH_SCALE (default 1): 0.1 runs a tenth of the rows, for quick checks. */
export function benchScale(): number {
  const raw = process.env.BENCH_SCALE ?? '1';
  const scale = Number(raw);
  if (!(scale > 0 && scale <= 10)) throw new Error(`BENCH_SCALE must be a number in (0, 10], got ${raw}`);
  return scale;
}

/** What one measured child process took. */
export interface ChildRun { seconds: number; maxRssMb: number; stdout: string; stderr: string; code: number }

const BIN = path.resolve(import.meta.dirname, '../../bin/purse');

/**
 * Runs `purse <args>` as a child under `/usr/bin/time -v` (its peak RSS as the kernel counted it)
 * and times it from spawn to exit, startup included. Throws when it fails.
 */
export function timePurse(args: string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-v', process.execPath, BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      if (code !== 0 || !rss) {
        reject(new Error(`purse ${args.join(' ')} exited ${code}:\n${stderr.slice(-4000)}`));
        return;
      }
      resolve({ seconds, maxRssMb: Math.round(Number(rss[1]) / 1024), stdout, stderr, code: code ?? -1 });
    });
  });
}

/** Streams a prepared text-format COPY file into the database (`sql` is `COPY … FROM STDIN`). */
export async function copyFile(client: pg.ClientBase, sql: string, file: string): Promise<void> {
  await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), client.query(copyFrom(sql)));
}

/** Writes `n` lines produced by `line(i)` to `file`, buffered (benchmark data, not timed). */
export async function writeLines(file: string, n: number, line: (i: number) => string): Promise<void> {
  const out = fs.createWriteStream(file);
  let buf = '';
  for (let i = 0; i < n; i++) {
    buf += line(i);
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buf = '';
    }
  }
  out.end(buf);
  await new Promise<void>((resolve, reject) => out.on('finish', () => resolve()).on('error', reject));
}

/** `x` with thousands separators. */
export function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}
