// CPU seconds of the PostgreSQL backends a CLI command opens, for benchmarks that put a command
// beside the daemon: on a machine the daemon fills, what the command costs the daemon is its CPU
// (its own process and its backends), which stays comparable across runs when throughput does not.
import fs from 'node:fs';
import pg from 'pg';

/** The kernel's count of CPU nanoseconds a process has run, or null when it cannot be read (a remote server, or gone). */
function runNs(pid: number): number | null {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

/** A running sample of new backends' CPU; `stop` resolves to their CPU seconds, or null when none could be read from here (a server on another machine). */
export interface BackendCpu { stop(): Promise<number | null> }

/**
 * Starts sampling the CPU of every client backend of one of `applicationNames` that connects to
 * `url`'s server from now on (a CLI command names its connections `purse <command>`, its migration
 * check `purse-migrate`; the daemon's are `purse`): new backends are looked up every 50 ms and each
 * one's /proc/<pid>/schedstat read every 10 ms, its last reading counting. So a backend's last few
 * milliseconds before it exits, and a connection that opens and closes between two look-ups (the
 * migration check), are not counted: the figure is a slight undercount. Only meaningful when the
 * server runs on this machine.
 */
export async function sampleBackendCpu(url: string, applicationNames: readonly string[]): Promise<BackendCpu> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const NEW = `
    select pid from pg_stat_activity
    where backend_type = 'client backend' and application_name = any($2::text[]) and pid <> pg_backend_pid() and not (pid = any($1::int[]))`;
  const { rows: present } = await client.query<{ pid: number }>('select pid from pg_stat_activity');
  const known = present.map((r) => r.pid);
  const last = new Map<number, number>();
  const read = () => {
    for (const pid of last.keys()) {
      const ns = runNs(pid);
      if (ns !== null) last.set(pid, ns);
    }
  };
  let looking = false;
  const lookUp = async () => {
    if (looking) return;
    looking = true;
    try {
      const { rows } = await client.query<{ pid: number }>(NEW, [known, applicationNames]);
      for (const { pid } of rows) {
        known.push(pid);
        const ns = runNs(pid); // null: gone already, or a server on another machine
        if (ns !== null) last.set(pid, ns);
      }
    } finally {
      looking = false;
    }
  };
  await lookUp();
  let tick = 0;
  const timer = setInterval(() => {
    read();
    if (++tick % 5 === 0) lookUp().catch(() => undefined);
  }, 10);
  return {
    async stop() {
      clearInterval(timer);
      read();
      await client.end();
      if (last.size === 0) return null;
      let ns = 0;
      for (const v of last.values()) ns += v;
      return ns / 1e9;
    },
  };
}

/** The connections of `purse cards load`: its pool's and its migration check's. */
export const LOAD_CONNECTIONS = ['purse cards load', 'purse-migrate'] as const;

/** User plus system CPU seconds of a child run under `/usr/bin/time -v`, from its report on stderr. */
export function childCpuSeconds(timeReport: string): number {
  const user = /User time \(seconds\): ([\d.]+)/.exec(timeReport);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(timeReport);
  if (!user || !sys) throw new Error('no CPU times in the /usr/bin/time report');
  return Number(user[1]) + Number(sys[1]);
}
