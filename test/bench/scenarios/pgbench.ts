// The same-run baseline of the authorization bench: pgbench tpcb-like (design §7).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { databaseUrl, pgTool } from '../harness.js';
import { busyShare, fmt, machineCpu, parentOf, serverCpu } from '../machine.js';

const run$ = promisify(execFile);

export interface Pgbench {
  run(): Promise<number>;
  seconds: number;
  drop(): Promise<void>;
  /** What each run cost: the machine's CPU busy share and the server's CPU ms per transaction. */
  costs: string[];
}

/**
 * pgbench tpcb-like (`-i -s 10`, then `-M prepared -c 8 -j 2 -T <seconds>`) in its own database;
 * null when pgbench is missing. `run()` may be called more than once (before and after the
 * daemon's phases: on a shared machine the load drifts during a run); `drop()` at the end.
 */
export async function pgbench(adminUrl: string, seconds: number): Promise<Pgbench | null> {
  const bin = pgTool('pgbench');
  if (!bin) return null;
  const admin = async (sql: string, database = 'postgres') => {
    const c = new pg.Client({ connectionString: databaseUrl(adminUrl, database) });
    await c.connect();
    try {
      return (await c.query(sql)).rows as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  };
  await admin('drop database if exists bench_pgbench with (force)');
  await admin('create database bench_pgbench');
  const u = new URL(adminUrl);
  const conn = ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username)];
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(u.password) };
  await run$(bin, ['-i', '-s', '10', '-q', ...conn, 'bench_pgbench'], { env, maxBuffer: 64 << 20 });
  const postmaster = await postmasterOf(databaseUrl(adminUrl, 'postgres'));
  const costs: string[] = [];
  return {
    seconds,
    costs,
    async run() {
      const machine0 = machineCpu();
      const server0 = serverCpu(postmaster);
      const { stdout } = await run$(bin, ['-M', 'prepared', '-c', '8', '-j', '2', '-T', String(seconds), ...conn, 'bench_pgbench'], { env, maxBuffer: 64 << 20 });
      const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
      if (!m) throw new Error(`cannot read pgbench output:\n${stdout}`);
      const t = /number of transactions actually processed: (\d+)/.exec(stdout);
      const machine1 = machineCpu();
      const n = Number(t?.[1] ?? NaN);
      const switches = machine0 && machine1 ? fmt((machine1.switches - machine0.switches) / n, 1) : 'n/a';
      costs.push(`machine CPU ${busyShare(machine0, machine1)} busy, ${switches} context switches and server CPU ${fmt((1000 * (serverCpu(postmaster) - server0)) / n, 3)} ms per transaction`);
      // Pay the run's vacuum debt now, in the baseline's own database (never the daemon's), so its
      // autovacuum does not land in the daemon's phases.
      await admin('vacuum analyze', 'bench_pgbench');
      return Number(m[1]);
    },
    drop: async () => void (await admin('drop database if exists bench_pgbench with (force)')),
  };
}

/** The server's postmaster pid: the parent of a backend of ours, read while that backend lives. */
export async function postmasterOf(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return parentOf(Number((await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid));
  } finally {
    await c.end();
  }
}
