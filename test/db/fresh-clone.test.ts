import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { outputOf, type CliResult } from '../helpers/cli.js';
import { OUTSIDE_DATA_ROOT } from '../../src/db/embedded.js';

// Issue 20 §6 and the set-up contract: a fresh clone in a private (0700) directory, as root. The
// embedded server runs as the postgres user, who cannot reach this checkout's node_modules nor its
// default ./.purse: it must run anyway, from a reachable copy of the binaries, with its data
// directory under /var/lib/purse when the home is out of its reach.
const repo = path.resolve(import.meta.dirname, '../..');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-clone-')); // mode 0700
const clone = path.join(root, 'purse');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-clone-home-'));
fs.chmodSync(home, 0o755);
/** The data directory the default home got outside the checkout (as root), removed afterwards. */
let outside: string | undefined;
afterAll(() => {
  for (const d of [root, home, outside]) if (d) fs.rmSync(d, { recursive: true, force: true });
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

  it('the default ./.purse in the private checkout works too: as root its data directory moves where the server reaches it', async () => {
    const migrate = await purse(['db', 'migrate'], baseEnv());
    expect(migrate.stderr).not.toMatch(/EACCES|\n\s+at /);
    expect(migrate.code).toBe(0);
    const dataDir = path.join(clone, '.purse', 'pg');
    if (os.userInfo().uid === 0) {
      // home/pg links to a directory of its own under OUTSIDE_DATA_ROOT; creating it was announced there.
      const target = fs.readlinkSync(dataDir);
      outside = path.dirname(target);
      expect(path.dirname(outside)).toBe(OUTSIDE_DATA_ROOT);
      expect(migrate.stderr).toContain(`creating a new Purse database in ${target}`);
      expect(fs.statSync(path.join(target, 'PG_VERSION')).isFile()).toBe(true);
    } else {
      expect(fs.lstatSync(dataDir).isDirectory()).toBe(true); // not root: the server runs as this user, who reaches the checkout
    }
    // The same database again, by a read-only command and by one that writes.
    const add = await purse(['issuer', 'add', '--code', 'DEFAULT', '--name', 'Default home'], baseEnv());
    expect(add.code).toBe(0);
    const list = await purse(['issuer', 'list'], baseEnv());
    expect(list.stdout).toContain('DEFAULT');
    const status = await purse(['db', 'status'], baseEnv());
    expect(status.code).toBe(0);
    if (outside) expect(status.stdout).toContain(`(→ ${path.join(outside, 'pg')})`);
  }, 120_000);

  it('a data directory already inside the private checkout is not moved: as root, one clear line naming it', async () => {
    const own = path.join(clone, 'own-home');
    fs.mkdirSync(path.join(own, 'pg'), { recursive: true });
    const r = await purse(['db', 'migrate'], { ...baseEnv(), PURSE_HOME: own });
    if (os.userInfo().uid === 0) {
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^error: .*cannot reach its database in ${path.join(own, 'pg')}.*PURSE_HOME`));
      expect(fs.readdirSync(path.join(own, 'pg'))).toEqual([]);
    } else {
      expect(r.code).toBe(0); // not root: the server runs as this user, who reaches the checkout
    }
  }, 120_000);
});
