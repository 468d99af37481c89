// What the authorization bench reads off the server and the daemons while it runs: server settings,
// write counters, pg_stat_activity samples, and the daemons' own /metrics.
import pg from 'pg';
import { fmt } from './machine.js';

/** The server's settings, as `name=value …`, for `names`. */
export async function settings(url: string, names: readonly string[]): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ name: string; value: string }>(
      `select name, current_setting(name) as value from unnest($1::text[]) with ordinality as n(name, i) order by i`, [names]);
    return rows.map((r) => `${r.name}=${r.value}`).join(' ');
  } finally {
    await c.end();
  }
}

/**
 * Cluster-wide counters of the writes behind commit latency: bytes of WAL written; bytes of relation
 * extension (new pages, written as zeros into the page cache and left for the kernel to write
 * back; null before PostgreSQL 16); WAL segment files zero-filled (each one written whole and fsynced
 * by the committing backend while every other commit waits; null before 18); checkpoints started
 * (after one, the first change to each page logs the whole page).
 */
export async function ioCounters(url: string): Promise<{ wal: number; extended: number | null; segments: number | null; checkpoints: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows: [w] } = await c.query<{ b: string }>('select wal_bytes::text as b from pg_stat_wal');
    // pg_stat_io (16+) counts extensions; 18 reports their bytes, 16 and 17 a block size per row.
    // 18 adds WAL rows: context 'init' counts the writes that create segment files.
    const io = await c.query<{ r: Record<string, string | null> }>('select to_jsonb(s) as r from pg_stat_io s').catch(() => null);
    const extended = io ? io.rows.reduce((sum, { r }) => sum + Number(r.extend_bytes ?? Number(r.extends ?? 0) * Number(r.op_bytes ?? 0)), 0) : null;
    const walInit = io?.rows.filter(({ r }) => r.object === 'wal' && r.context === 'init') ?? [];
    const segmentBytes = Number((await c.query<{ s: string }>(`select setting as s from pg_settings where name = 'wal_segment_size'`)).rows[0]!.s);
    const segments = walInit.length ? walInit.reduce((sum, { r }) => sum + Number(r.write_bytes ?? 0), 0) / segmentBytes : null;
    // 17 moved the checkpoint counts from pg_stat_bgwriter to pg_stat_checkpointer.
    const { rows: [k] } = await c.query<{ n: string }>('select (num_timed + num_requested)::text as n from pg_stat_checkpointer')
      .catch(() => c.query<{ n: string }>('select (checkpoints_timed + checkpoints_req)::text as n from pg_stat_bgwriter'));
    return { wal: Number(w!.b), extended, segments, checkpoints: Number(k!.n) };
  } finally {
    await c.end();
  }
}

/**
 * Watches the server (pg_stat_activity, every 100 ms) until `stop(origin, worst)`, which tells
 * - what autovacuum workers of any database worked on and when, in seconds from `origin` (epoch
 *   ms): "bench_auth: VACUUM public.entries 3.0–11.5 s; …", or "none";
 * - what this database's other backends were waiting on (wait events, by share of samples), over
 *   the whole watch and within the seconds `worst` (offsets from `origin`).
 */
export function watchServer(url: string): { stop(origin: number, worst: readonly number[]): Promise<{ autovacuum: string; waits: string; worstWaits: string }> } {
  const c = new pg.Client({ connectionString: url });
  const autovacuum = new Map<string, { from: number; to: number }>();
  const samples: { at: number; waits: string[] }[] = [];
  let running = true;
  let failed = '';
  // A connection ended between two samples (the server stopping because the run failed elsewhere)
  // is reported, not thrown out of the process, where it would hide the run's own error.
  c.on('error', (err) => {
    failed ||= `watch failed: ${String(err)}`;
  });
  const loop = (async () => {
    await c.connect();
    while (running) {
      const { rows } = await c.query<{ autovacuum: boolean; what: string }>(`
        select backend_type = 'autovacuum worker' as autovacuum,
               case when backend_type = 'autovacuum worker' then coalesce(datname, '(connecting)') || ': ' || coalesce(nullif(regexp_replace(query, '^autovacuum: ', ''), ''), '(starting)')
                    else coalesce(wait_event_type || ':' || wait_event, 'CPU') end as what
        from pg_stat_activity
        where pid <> pg_backend_pid() and (backend_type = 'autovacuum worker'
          or (datname = current_database() and backend_type = 'client backend' and state = 'active'))`);
      const now = Date.now();
      for (const r of rows.filter((x) => x.autovacuum)) autovacuum.set(r.what, { from: autovacuum.get(r.what)?.from ?? now, to: now });
      samples.push({ at: now, waits: rows.filter((x) => !x.autovacuum).map((x) => x.what) });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })().catch((err: unknown) => {
    failed = `watch failed: ${String(err)}`; // a diagnostic: never fail the run for it
  }).finally(() => c.end().catch(() => {}));
  const shares = (list: readonly { waits: string[] }[]) => {
    const n = new Map<string, number>();
    for (const w of list.flatMap((x) => x.waits)) n.set(w, (n.get(w) ?? 0) + 1);
    const top = [...n].sort((a, b) => b[1] - a[1]).slice(0, 5);
    return top.length ? `${top.map(([w, k]) => `${w} ${fmt(k / list.length, 2)}`).join(', ')} (backends per sample, ${list.length} samples)` : 'none';
  };
  return {
    async stop(origin, worst) {
      running = false;
      await loop;
      const at = (ms: number) => fmt((ms - origin) / 1000, 1);
      const inWorst = samples.filter((x) => worst.includes(Math.floor((x.at - origin) / 1000)));
      return {
        autovacuum: failed || (autovacuum.size ? [...autovacuum].map(([q, t]) => `${q} ${at(t.from)}–${at(t.to)} s`).join('; ') : 'none'),
        waits: shares(samples.filter((x) => x.at >= origin)),
        worstWaits: shares(inWorst),
      };
    },
  };
}

/** The daemons' GET /metrics texts, one per daemon: read once, parsed by batchCounters and runtimeCounts. */
export async function daemonMetrics(urls: readonly string[]): Promise<string[]> {
  return Promise.all(urls.map(async (url) => (await fetch(new URL('/metrics', url))).text()));
}

/**
 * The daemons' batch counters, summed over daemons: every `purse_batch…` series, and any whose name
 * speaks of retries, rollbacks, redos or stale reads (histogram buckets left out), by series
 * (`name{labels}`). Read by name pattern, not by a fixed list, so the bench reports whatever the
 * daemon's core of the day counts.
 */
export function batchCounters(metrics: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const text of metrics) {
    for (const [, series, n] of text.matchAll(/^(purse_\w+(?:\{[^}]*\})?) (\S+)$/gm)) {
      const name = series!.replace(/\{.*$/, '');
      if (name.endsWith('_bucket') || !/^purse_batch|retr|rollback|redo|stale/.test(name)) continue;
      out.set(series!, (out.get(series!) ?? 0) + Number(n));
    }
  }
  return out;
}

/**
 * What changed between two `batchCounters` readings: each counter's increase, and each histogram
 * as count and mean (`purse_batch_size: 812 × 9.6`); per second when `seconds` is given.
 */
export function batchDelta(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>, seconds?: number): string {
  const d = (k: string) => (b.get(k) ?? 0) - (a.get(k) ?? 0);
  const parts: string[] = [];
  for (const k of b.keys()) {
    if (k.endsWith('_sum') || d(k) === 0) continue;
    const hist = k.endsWith('_count') ? k.slice(0, -'_count'.length) : null;
    const rate = seconds ? ` (${fmt(d(k) / seconds)}/s)` : '';
    parts.push(hist && b.has(`${hist}_sum`) ? `${hist}: ${d(k)}${rate} × mean ${fmt(d(`${hist}_sum`) / d(k), 4)}` : `${k} +${d(k)}${rate}`);
  }
  return parts.length ? parts.join('; ') : 'none counted';
}

/**
 * From the daemons' metrics: their garbage collector pauses so far (count and seconds, summed
 * over daemons), the worst event-loop delay quantiles (seconds) of their last complete window, and
 * their requests so far with how many took longer than `overMs` by their own clock (`overMs` must be
 * a bucket bound of their latency histogram).
 */
export function runtimeCounts(metrics: readonly string[], overMs: number): { pauses: number; seconds: number; delay: Record<string, number>; requests: number; requestsOver: number } {
  const out = { pauses: 0, seconds: 0, delay: {} as Record<string, number>, requests: 0, requestsOver: 0 };
  for (const text of metrics) {
    // Requests answered, and answered within the target, as the daemon timed them (received to answer written).
    const count = Number(/^purse_request_duration_seconds_count (\S+)$/m.exec(text)?.[1] ?? 0);
    out.requests += count;
    out.requestsOver += count - Number(new RegExp(`^purse_request_duration_seconds_bucket\\{le="${overMs / 1000}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    for (const [, n] of text.matchAll(/^purse_gc_pauses_total\{kind="\w+"\} (\S+)$/gm)) out.pauses += Number(n);
    for (const [, n] of text.matchAll(/^purse_gc_pause_seconds_total\{kind="\w+"\} (\S+)$/gm)) out.seconds += Number(n);
    for (const [, q, n] of text.matchAll(/^purse_event_loop_delay_seconds\{quantile="([\d.]+)"\} (\S+)$/gm)) out.delay[q!] = Math.max(out.delay[q!] ?? 0, Number(n));
  }
  return out;
}
