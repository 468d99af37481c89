// Load generator of the authorization benchmark (test/bench/auth.ts), run in its OWN process so
// its CPU is not the daemon's: `node --import tsx test/bench/auth-load.ts <config.json>`.
// It pre-signs and pre-serializes every request of a phase before the phase starts, sends them
// over keep-alive HTTP/1.1 connections (a minimal client on net.Socket: one write per request, one
// request in flight per connection; node:http's client costs several times the CPU per request,
// CPU taken from the daemon and PostgreSQL on a 2-core machine) and prints one JSON result line
// per phase on stdout (and, as each phase starts sending, a line `{"started": …}`).
//
// - closed loop: `connections` workers each send the next request as soon as the previous answer
//   arrives, for `seconds` → throughput (approved answers per second).
// - open loop: requests are due at a fixed rate whatever the answers do; latency is measured from
//   each request's SCHEDULED send time (no coordinated omission: a stalled daemon shows up as
//   latency, not as fewer requests), and only requests scheduled after `warmupSeconds` count.
import fs from 'node:fs';
import crypto from 'node:crypto';
import { Conn, type Signed } from './load-conn.js';

export interface LoadConfig {
  /** Daemons to spread connections over (round robin by connection), as a TCP load balancer would. */
  urls: string[];
  channel: string;
  secret: string;
  merchant: string;
  terminal: string;
  pans: string[];
  phases: Phase[];
}

export type Phase =
  /** `requests`: stop after sending that many (warm-up); `cover`: the first requests use every card once, in random order. */
  | { name: string; kind: 'closed'; connections: number; seconds: number; requests?: number; cover?: boolean }
  | { name: string; kind: 'open'; rate: number; seconds: number; warmupSeconds: number; maxSockets: number; overMs: number };

export interface PhaseResult {
  name: string;
  kind: Phase['kind'];
  seconds: number;
  sent: number;
  answered: number;
  approved: number;
  /** Answers that were not 200 + approved (declines, 4xx/5xx, socket errors), by status/code. */
  other: Record<string, number>;
  tps: number;
  /** Open loop: latency percentiles in ms over the measured (post-warm-up) requests. */
  latency?: { count: number; p50: number; p95: number; p99: number; p999: number; max: number; mean: number };
  /** Open loop: how late the generator itself sent requests (its own timer lag), p99 and max in ms. */
  sendLag?: { p99: number; max: number };
  /**
   * Open loop, per measured second of scheduled sends: the median of the seconds' own p99s (the
   * steady tail) and the worst seconds, as offset from the phase's start (`startedAt`, epoch ms)
   * with their p99, so stalls can be told from steady queueing and lined up with the server's events.
   */
  seconds99?: { median: number; worst: { at: number; p99: number }[] };
  /** Open loop: measured requests slower than `overMs`. */
  over?: number;
  startedAt?: number;
  /** Closed loop: approved answers in each 100 ms from `startedAt` (to line the loop up with what ran beside it). */
  ticks?: number[];
  /** CPU the generator used during the phase, seconds (user + system). */
  cpuSeconds: number;
}


/** Pre-signs `n` purchases of 1–5 fen on random cards (with `cover`, every card once first), request ids `<prefix>-<i>`. */
function presign(cfg: LoadConfig, url: URL, prefix: string, n: number, cover = false): Signed[] {
  const ts = String(Math.floor(Date.now() / 1000));
  const out: Signed[] = new Array<Signed>(n);
  const order = cover ? shuffled(cfg.pans) : [];
  for (let i = 0; i < n; i++) {
    const pan = i < order.length ? order[i]! : cfg.pans[crypto.randomInt(cfg.pans.length)]!;
    const body = JSON.stringify({
      request_id: `${prefix}-${i}`, type: 'purchase', card: pan, amount: 1 + (i % 5), merchant: cfg.merchant, terminal: cfg.terminal,
    });
    const sig = crypto.createHmac('sha256', cfg.secret).update(`${ts}.`).update(body).digest('hex');
    out[i] = Buffer.from(`POST /v1/transactions HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\nX-Channel-Id: ${cfg.channel}\r\nX-Timestamp: ${ts}\r\nX-Signature: ${sig}\r\n\r\n${body}`, 'latin1');
  }
  return out;
}

function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** How many of `sorted` are ≤ x. */
function countUpTo(sorted: Float64Array, x: number): number {
  let lo = 0;
  for (let hi = sorted.length; lo < hi;) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const round = (x: number) => Math.round(x * 100) / 100;

async function closedLoop(cfg: LoadConfig, phase: Extract<Phase, { kind: 'closed' }>, urls: URL[]): Promise<PhaseResult> {
  const url = urls[0]!;
  // Enough pre-signed requests for 8,000/s; beyond that the workers sign on the fly (reported).
  const limit = phase.requests ?? Infinity;
  const pool = presign(cfg, url, `${phase.name}-${process.pid}`, Math.min(limit, Math.ceil(8_000 * phase.seconds)), phase.cover);
  const other: Record<string, number> = {};
  let next = 0;
  let answered = 0;
  let approved = 0;
  let extra = 0;
  const ticks = new Array<number>(Math.ceil(phase.seconds * 10) + 1).fill(0);
  announce(phase.name);
  const cpu0 = cpuNow();
  const startedAt = Date.now();
  const started = performance.now();
  const end = started + phase.seconds * 1000;
  const conns: Conn[] = [];
  const worker = async (w: number) => {
    const target = urls[w % urls.length]!;
    let conn = new Conn(target);
    conns.push(conn);
    while (performance.now() < end && next < limit) {
      const i = next++;
      const req = i < pool.length ? pool[i]! : (extra++, presign(cfg, url, `${phase.name}-${process.pid}-x${i}`, 1)[0]!);
      if (conn.dead) conns.push((conn = new Conn(target)));
      const kind = await conn.send(req);
      if (performance.now() > end) break; // answers after the window do not count
      answered++;
      if (kind === 'ok') {
        approved++;
        ticks[Math.floor((performance.now() - started) / 100)]!++;
      } else other[kind] = (other[kind] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: phase.connections }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuNow() - cpu0;
  for (const c of conns) c.close();
  if (extra) other.signed_on_the_fly = extra;
  return { name: phase.name, kind: 'closed', seconds: round(seconds), sent: next, answered, approved, other, tps: round(approved / phase.seconds), cpuSeconds: round(cpuSeconds), startedAt, ticks };
}

async function openLoop(cfg: LoadConfig, phase: Extract<Phase, { kind: 'open' }>, urls: URL[]): Promise<PhaseResult> {
  const url = urls[0]!;
  const total = Math.floor(phase.rate * phase.seconds);
  const reqs = presign(cfg, url, `${phase.name}-${process.pid}`, total);
  // Requests go out on an idle connection, a new one (up to maxSockets), or wait for the first
  // connection to free up; that wait counts in their latency, as it would for a real channel.
  const idle: Conn[] = [];
  const all: Conn[] = [];
  const waiting: (() => void)[] = [];
  const acquire = (): Promise<Conn> => {
    let c = idle.pop();
    while (c?.dead) c = idle.pop();
    if (c) return Promise.resolve(c);
    if (all.length < phase.maxSockets) {
      const fresh = new Conn(urls[all.length % urls.length]!);
      all.push(fresh);
      return Promise.resolve(fresh);
    }
    return new Promise((resolve) => waiting.push(() => resolve(acquire())));
  };
  const release = (c: Conn) => {
    if (!c.dead) idle.push(c);
    else all.splice(all.indexOf(c), 1);
    waiting.shift()?.();
  };
  const send = async (req: Signed): Promise<string> => {
    const c = await acquire();
    const kind = await c.send(req);
    release(c);
    return kind;
  };
  const intervalMs = 1000 / phase.rate;
  const warmupCount = Math.floor(phase.rate * phase.warmupSeconds);
  const latencies = new Float64Array(Math.max(0, total - warmupCount));
  const lags = new Float64Array(total);
  const other: Record<string, number> = {};
  let answered = 0;
  let approved = 0;
  let measured = 0;
  let sent = 0;
  const bySecond: number[][] = Array.from({ length: Math.ceil(phase.seconds) + 1 }, () => []);
  announce(phase.name);
  const cpu0 = cpuNow();
  const startedAt = Date.now();
  const started = performance.now();
  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    // Timer-driven, never a busy loop (the generator shares 2 cores with the daemon and
    // PostgreSQL): each tick sends every request whose scheduled time has come.
    const tick = () => {
      const now = performance.now();
      while (sent < total && started + sent * intervalMs <= now) {
        const i = sent++;
        const scheduled = started + i * intervalMs;
        lags[i] = now - scheduled;
        pending.push(send(reqs[i]!).then((kind) => {
          const latency = performance.now() - scheduled;
          answered++;
          if (kind === 'ok') approved++;
          else other[kind] = (other[kind] ?? 0) + 1;
          if (i >= warmupCount) {
            latencies[measured++] = latency;
            bySecond[Math.floor((i * intervalMs) / 1000)]!.push(latency);
          }
        }));
      }
      if (sent >= total) return resolve();
      setTimeout(tick, Math.max(0, started + sent * intervalMs - performance.now()));
    };
    tick();
  });
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuNow() - cpu0;
  for (const c of all) c.close();
  const sorted = latencies.subarray(0, measured).sort();
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, measured);
  const lagSorted = lags.sort();
  const perSecond = bySecond.flatMap((l, at) => (l.length ? [{ at, p99: round(percentile(Float64Array.from(l).sort(), 99)) }] : []));
  const p99s = Float64Array.from(perSecond, (x) => x.p99).sort();
  return {
    name: phase.name, kind: 'open', seconds: round(seconds), sent, answered, approved, other, tps: round(approved / phase.seconds),
    latency: {
      count: measured, p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)),
      p999: round(percentile(sorted, 99.9)), max: round(sorted[sorted.length - 1] ?? NaN), mean: round(mean),
    },
    sendLag: { p99: round(percentile(lagSorted, 99)), max: round(lagSorted[lagSorted.length - 1] ?? NaN) },
    seconds99: { median: percentile(p99s, 50), worst: perSecond.sort((a, b) => b.p99 - a.p99).slice(0, 5) },
    startedAt,
    over: measured - countUpTo(sorted, phase.overMs),
    cpuSeconds: round(cpuSeconds),
  };
}

/** Tells the bench a phase's requests are signed and it starts sending now (a line `{"started": name, "at": epoch ms}`). */
function announce(name: string): void {
  process.stdout.write(`${JSON.stringify({ started: name, at: Date.now() })}\n`);
}

/** Runs the phases in order, one JSON line per phase on stdout. */
async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: auth-load.ts <config.json>');
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as LoadConfig;
  const urls = cfg.urls.map((u) => new URL(u));
  for (const phase of cfg.phases) {
    const result = phase.kind === 'closed' ? await closedLoop(cfg, phase, urls) : await openLoop(cfg, phase, urls);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

await main();
