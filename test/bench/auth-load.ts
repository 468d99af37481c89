// Load generator of the authorization benchmark (test/bench/auth.ts), run in its OWN process so
// its CPU is not the daemon's: `node --import tsx test/bench/auth-load.ts <config.json>`.
// It pre-signs every request of a phase before the phase starts, sends them over keep-alive
// connections and prints one JSON result line per phase on stdout.
//
// - closed loop: `connections` workers each send the next request as soon as the previous answer
//   arrives, for `seconds` → throughput (approved answers per second).
// - open loop: requests are due at a fixed rate whatever the answers do; latency is measured from
//   each request's SCHEDULED send time (no coordinated omission: a stalled daemon shows up as
//   latency, not as fewer requests), and only requests scheduled after `warmupSeconds` count.
import fs from 'node:fs';
import http from 'node:http';
import crypto from 'node:crypto';

export interface LoadConfig {
  url: string;
  channel: string;
  secret: string;
  merchant: string;
  terminal: string;
  pans: string[];
  phases: Phase[];
}

export type Phase =
  | { name: string; kind: 'closed'; connections: number; seconds: number }
  | { name: string; kind: 'open'; rate: number; seconds: number; warmupSeconds: number; maxSockets: number };

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
  /** CPU the generator used during the phase, seconds (user + system). */
  cpuSeconds: number;
}

interface Signed { body: Buffer; headers: http.OutgoingHttpHeaders }

/** Pre-signs `n` purchases of 1–5 fen on random cards, request ids `<prefix>-<i>`. */
function presign(cfg: LoadConfig, prefix: string, n: number): Signed[] {
  const ts = String(Math.floor(Date.now() / 1000));
  const out: Signed[] = new Array<Signed>(n);
  for (let i = 0; i < n; i++) {
    const pan = cfg.pans[crypto.randomInt(cfg.pans.length)]!;
    const body = Buffer.from(JSON.stringify({
      request_id: `${prefix}-${i}`, type: 'purchase', card: pan, amount: 1 + (i % 5), merchant: cfg.merchant, terminal: cfg.terminal,
    }));
    const sig = crypto.createHmac('sha256', cfg.secret).update(`${ts}.`).update(body).digest('hex');
    out[i] = {
      body,
      headers: {
        'content-type': 'application/json', 'content-length': body.length, 'x-channel-id': cfg.channel, 'x-timestamp': ts, 'x-signature': sig,
      },
    };
  }
  return out;
}

/** Sends one request; resolves with a classification ('ok' = 200 and approved). Never rejects. */
function send(agent: http.Agent, url: URL, req: Signed): Promise<string> {
  return new Promise((resolve) => {
    const r = http.request({ agent, host: url.hostname, port: url.port, path: '/v1/transactions', method: 'POST', headers: req.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(`http_${res.statusCode}`);
        const text = Buffer.concat(chunks).toString('latin1');
        if (text.includes('"approved":true')) return resolve('ok');
        const m = /"response_code":"(\d\d)"/.exec(text);
        resolve(`code_${m ? m[1] : '??'}`);
      });
      res.on('error', () => resolve('error'));
    });
    r.on('error', (err: NodeJS.ErrnoException) => resolve(`error_${err.code ?? 'unknown'}`));
    r.end(req.body);
  });
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (x: number) => Math.round(x * 100) / 100;

async function closedLoop(cfg: LoadConfig, phase: Extract<Phase, { kind: 'closed' }>, url: URL): Promise<PhaseResult> {
  // Enough pre-signed requests for 8,000/s; beyond that the workers sign on the fly (reported).
  const pool = presign(cfg, `${phase.name}-${process.pid}`, Math.ceil(8_000 * phase.seconds));
  const agent = new http.Agent({ keepAlive: true, maxSockets: phase.connections });
  const other: Record<string, number> = {};
  let next = 0;
  let answered = 0;
  let approved = 0;
  let extra = 0;
  const cpu0 = cpuNow();
  const started = performance.now();
  const end = started + phase.seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const i = next++;
      const req = i < pool.length ? pool[i]! : (extra++, presign(cfg, `${phase.name}-${process.pid}-x${i}`, 1)[0]!);
      const kind = await send(agent, url, req);
      if (performance.now() > end) break; // answers after the window do not count
      answered++;
      if (kind === 'ok') approved++;
      else other[kind] = (other[kind] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: phase.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuNow() - cpu0;
  agent.destroy();
  if (extra) other.signed_on_the_fly = extra;
  return { name: phase.name, kind: 'closed', seconds: round(seconds), sent: next, answered, approved, other, tps: round(approved / phase.seconds), cpuSeconds: round(cpuSeconds) };
}

async function openLoop(cfg: LoadConfig, phase: Extract<Phase, { kind: 'open' }>, url: URL): Promise<PhaseResult> {
  const total = Math.floor(phase.rate * phase.seconds);
  const reqs = presign(cfg, `${phase.name}-${process.pid}`, total);
  const agent = new http.Agent({ keepAlive: true, maxSockets: phase.maxSockets });
  const intervalMs = 1000 / phase.rate;
  const warmupCount = Math.floor(phase.rate * phase.warmupSeconds);
  const latencies = new Float64Array(Math.max(0, total - warmupCount));
  const lags = new Float64Array(total);
  const other: Record<string, number> = {};
  let answered = 0;
  let approved = 0;
  let measured = 0;
  let sent = 0;
  const cpu0 = cpuNow();
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
        pending.push(send(agent, url, reqs[i]!).then((kind) => {
          const latency = performance.now() - scheduled;
          answered++;
          if (kind === 'ok') approved++;
          else other[kind] = (other[kind] ?? 0) + 1;
          if (i >= warmupCount) latencies[measured++] = latency;
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
  agent.destroy();
  const sorted = latencies.subarray(0, measured).sort();
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, measured);
  const lagSorted = lags.sort();
  return {
    name: phase.name, kind: 'open', seconds: round(seconds), sent, answered, approved, other, tps: round(approved / phase.seconds),
    latency: {
      count: measured, p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)),
      p999: round(percentile(sorted, 99.9)), max: round(sorted[sorted.length - 1] ?? NaN), mean: round(mean),
    },
    sendLag: { p99: round(percentile(lagSorted, 99)), max: round(lagSorted[lagSorted.length - 1] ?? NaN) },
    cpuSeconds: round(cpuSeconds),
  };
}

/** Runs the phases in order, one JSON line per phase on stdout. */
async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: auth-load.ts <config.json>');
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as LoadConfig;
  const url = new URL(cfg.url);
  for (const phase of cfg.phases) {
    const result = phase.kind === 'closed' ? await closedLoop(cfg, phase, url) : await openLoop(cfg, phase, url);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

await main();
