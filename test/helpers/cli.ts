import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import path from 'node:path';

export interface CliResult { code: number; stdout: string; stderr: string }

/** The real executable (`npm test` builds dist/ before vitest runs). */
export const BIN = path.resolve(import.meta.dirname, '../../bin/purse');

/** Runs `purse <args>` in a child process with `env`, as a user would. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(input ?? '');
  return outputOf(child);
}

/** The exit code and the whole output of a child process, once it has closed. */
export function outputOf(child: ChildProcessByStdio<Writable | null, Readable, Readable>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
