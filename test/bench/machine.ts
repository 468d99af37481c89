// What the machine did during a bench phase, from /proc (Linux; "n/a" elsewhere): CPU time of a
// process and of the whole machine, and the kernel's page-cache writeback.
import fs from 'node:fs';

/** `x` with `d` decimals, or n/a when it is not a finite number. */
export const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** CPU seconds (user + system) of a process from /proc, or NaN off Linux. */
export function cpuOf(pid: number | undefined): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (100/s on Linux)
  } catch {
    return NaN;
  }
}

/** The machine's CPU time so far, busy and in all (all CPUs, clock ticks, from /proc/stat); null off Linux. */
export function machineCpu(): { busy: number; total: number; switches: number } | null {
  try {
    const lines = fs.readFileSync('/proc/stat', 'utf8').split('\n');
    const [, ...ticks] = lines[0]!.trim().split(/\s+/).map(Number);
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
    const switches = Number(lines.find((l) => l.startsWith('ctxt '))?.slice(5) ?? NaN);
    return { busy: total - ticks[3]! - ticks[4]!, total, switches };
  } catch {
    return null;
  }
}

/** Share of the machine's CPU time busy between two `machineCpu()` readings, as "73%". */
export function busyShare(a: ReturnType<typeof machineCpu>, b: ReturnType<typeof machineCpu>): string {
  return a && b && b.total > a.total ? `${fmt((100 * (b.busy - a.busy)) / (b.total - a.total))}%` : 'n/a';
}

/** The kernel's page-cache writeback settings, as `vm.dirty_…=…` (n/a off Linux). */
export function writebackSettings(): string {
  const names = ['dirty_background_bytes', 'dirty_background_ratio', 'dirty_expire_centisecs', 'dirty_writeback_centisecs'];
  try {
    return names.map((n) => `vm.${n}=${fs.readFileSync(`/proc/sys/vm/${n}`, 'utf8').trim()}`).join(' ');
  } catch {
    return 'vm.dirty_* n/a';
  }
}

/** Dirty page-cache bytes now (/proc/meminfo), or NaN off Linux. */
function dirtyBytes(): number {
  try {
    const m = /^Dirty:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** A drop of the dirty backlog by this much within a second is a writeback burst. */
const BURST_BYTES = 16 * 1048576;

/**
 * Watches the page cache's dirty backlog every 100 ms until `stop(origin, worst)`. By default Linux
 * writes a file's dirty pages back once the file has been dirty for 30 s (vm.dirty_expire_centisecs),
 * all of them at once: PostgreSQL's relation extension (zero pages, overwritten later) builds such a
 * backlog, and its write-out competes with the commits' fdatasync. Reports the largest backlog, the
 * seconds (from `origin`, epoch ms) in which it dropped by 16 MB or more, and which of the `worst`
 * seconds were among them.
 */
export function watchWriteback(): { stop(origin: number, worst: readonly number[]): string } {
  const samples: { at: number; dirty: number }[] = [];
  const sample = () => samples.push({ at: Date.now(), dirty: dirtyBytes() });
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop(origin, worst) {
      clearInterval(timer);
      sample();
      if (!samples.every((s) => Number.isFinite(s.dirty))) return 'n/a';
      const bursts = new Set<number>();
      for (const [i, s] of samples.entries()) {
        const before = samples.slice(0, i).filter((p) => s.at - p.at <= 1000);
        if (before.some((p) => p.dirty - s.dirty >= BURST_BYTES)) bursts.add(Math.floor((s.at - origin) / 1000));
      }
      const seconds = [...bursts].filter((s) => s >= 0).sort((a, b) => a - b);
      const peak = Math.max(...samples.map((s) => s.dirty));
      const hit = worst.filter((w) => bursts.has(w));
      return `largest dirty backlog ${fmt(peak / 1048576)} MB; bursts (backlog down ≥ 16 MB within 1 s) at ${seconds.length ? seconds.map((s) => `${s} s`).join(', ') : 'none'}`
        + `; worst seconds among them: ${hit.length ? hit.map((s) => `${s} s`).join(', ') : 'none'}`;
    },
  };
}

/**
 * CPU seconds of a PostgreSQL server so far: the postmaster's own and its reaped children's, plus
 * every live child's (backends, WAL writer, checkpointer, autovacuum…), from /proc; NaN off Linux.
 * `postmaster` is the server's postmaster pid (the parent of any of its backends).
 */
export function serverCpu(postmaster: number): number {
  try {
    const stat = (pid: string | number) => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const own = stat(postmaster);
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]); // utime stime cutime cstime
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(pid)) continue;
      try {
        const f = stat(pid);
        if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
      } catch {
        // the process ended between the listing and the read
      }
    }
    return ticks / 100;
  } catch {
    return NaN;
  }
}

/** The postmaster pid of a backend (its parent), or NaN off Linux. */
export function parentOf(pid: number): number {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  } catch {
    return NaN;
  }
}
