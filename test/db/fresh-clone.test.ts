import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { outputOf, type CliResult } from '../helpers/cli.js';

// Issue 20 §6: a fresh clone in a private (0700) directory, as root. The embedded server runs as
// the postgres user, who cannot reach this checkout's node_modules: it must run anyway (from a
// reachable copy of the binaries), and a PURSE_HOME it cannot reach is one clear line.
const repo = path.resolve(import.meta.dirname, '../..');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-clone-')); // mode 0700
const clone = path.join(root, 'purse');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-clone-home-'));
fs.chmodSync(home, 0o755);
afterAll(() => {
  for (const d of [root, home]) fs.rmSync(d, { recursive: true, force: true });
});

execFileSync('git', ['clone', '-q', '--depth', '1', `file://${repo}`, clone]);
// What `npm install` would produce (the same packages; the build of this tree), without the network.
execFileSync('cp', ['-al', path.join(repo, 'node_modules'), path.join(clone, 'node_modules')]);
execFileSync('cp', ['-r', path.join(repo, 'dist'), path.join(clone, 'dist')]);

function purse(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const child = spawn(process.execPath, [path.join(clone, 'bin', 'purse'), ...args], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return outputOf(child);
}
const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.PURSE_KEYS;
  delete env.PURSE_HOME;
  return env;
};

describe('a fresh clone in a 0700 directory', () => {
  it('starts the embedded server from that checkout and runs commands on it', async () => {
    expect(fs.statSync(root).mode & 0o777).toBe(0o700);
    const env = { ...baseEnv(), PURSE_HOME: home };
    const migrate = await purse(['db', 'migrate'], env);
    expect(migrate.stderr).not.toMatch(/EACCES|\n\s+at /);
    expect(migrate.code).toBe(0);
    const add = await purse(['issuer', 'add', '--code', 'CLONED', '--name', 'From a clone'], env);
    expect(add.code).toBe(0);
    const list = await purse(['issuer', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('CLONED');
  }, 120_000);

  it('a PURSE_HOME the server cannot reach (the default ./.purse in the private checkout, as root) is one clear line, no stack', async () => {
    const r = await purse(['db', 'migrate'], baseEnv());
    if (os.userInfo().uid === 0) {
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: .*cannot reach .*PURSE_HOME/);
    } else {
      expect(r.code).toBe(0); // not root: the server runs as this user, who reaches the checkout
    }
  }, 120_000);
});
