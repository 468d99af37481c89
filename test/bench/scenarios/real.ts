// Headline scenario "real traffic" (design §7): purchases on uniformly random cards among all the
// cards the CLI issued and loaded while the daemon ran; closed loop → peak, then an open loop at
// 70% of that peak → latency by the generator's clock.
import { ioCounters, runtimeCounts, daemonMetrics, batchCounters, batchDelta, watchServer } from '../auth-observe.js';
import { busyShare, fmt, machineCpu, watchWriteback } from '../machine.js';
import type { PhaseResult } from '../auth-load.js';
import { report } from '../harness.js';
import { generate } from './processes.js';
import { closedLoop, describeClosed, type Bench, type Closed } from './measure.js';

export const OPEN_FRACTION = 0.7;
export const TARGET_P99_MS = 25;

export interface Real { closed: Closed; open: PhaseResult | null }

/**
 * A short unmeasured closed loop first (connections, JIT; random cards, not every card: a cache
 * warmed on every card is not the headline), then the measured closed loop, then (when `open`)
 * the open loop at 70% of its peak.
 */
export async function realTraffic(b: Bench, pans: readonly string[], s: { closed: number; open: number; warmup: number }, open: boolean): Promise<Real> {
  const cfg = { urls: [b.daemon.url], ...b.acquirer, pans: [...pans] };
  await generate(cfg, [{ name: 'warm', kind: 'closed', connections: b.connections, seconds: 2 }], b.home);
  console.error(`auth: real traffic, closed loop ${s.closed} s on ${pans.length} cards…`);
  const closed = await closedLoop(b, { name: 'real', pans, seconds: s.closed });
  report('real traffic: closed loop (peak)', { 'one daemon': describeClosed(closed, b.connections) });
  if (!open) return { closed, open: null };

  const rate = Math.max(1, Math.round(closed.tps * OPEN_FRACTION));
  console.error(`auth: real traffic, open loop at ${rate}/s (70% of ${fmt(closed.tps)}), ${s.open} s of which ${s.warmup} s warm-up…`);
  const o = await openLoop(b, pans, rate, s, 'real traffic: open loop at 70% of the peak');
  return { closed, open: o };
}

/**
 * An open loop at `rate` on `pans` (latency from each request's scheduled send, warm-up excluded),
 * reported under `title` with what ran beside it: server waits, autovacuum, kernel writeback,
 * checkpoints, the daemon's GC and event-loop delay, the machine's CPU and the batches.
 */
export async function openLoop(b: Bench, pans: readonly string[], rate: number, s: { open: number; warmup: number }, title: string): Promise<PhaseResult> {
  const cfg = { urls: [b.daemon.url], ...b.acquirer, pans: [...pans] };
  const io0 = await ioCounters(b.url);
  const watch = watchServer(b.url);
  const writeback = watchWriteback();
  const metrics0 = await daemonMetrics(cfg.urls);
  const runtime0 = runtimeCounts(metrics0, TARGET_P99_MS);
  const machine0 = machineCpu();
  const [o] = await generate(cfg, [{ name: 'open', kind: 'open', rate, seconds: s.open, warmupSeconds: s.warmup, maxSockets: 512, overMs: TARGET_P99_MS }], b.home);
  const machine = busyShare(machine0, machineCpu());
  const metrics1 = await daemonMetrics(cfg.urls);
  const runtime1 = runtimeCounts(metrics1, TARGET_P99_MS);
  const io1 = await ioCounters(b.url);
  const worst3 = o!.seconds99!.worst.slice(0, 3).map((w) => w.at);
  const watched = await watch.stop(o!.startedAt!, worst3);
  const writtenBack = writeback.stop(o!.startedAt!, worst3);
  const mb = (bytes: number) => fmt(bytes / 1048576);
  const lat = o!.latency!;
  report(title, {
    'open loop': `${rate}/s for ${s.open} s, ${s.warmup} s warm-up excluded, ${lat.count} measured, achieved ${fmt(o!.tps)}/s, other ${JSON.stringify(o!.other)}`,
    'latency ms from scheduled send': `p50 ${lat.p50}  p95 ${lat.p95}  p99 ${lat.p99}  p99.9 ${lat.p999}  max ${lat.max}  mean ${lat.mean}`,
    'seconds': `median of the seconds' p99 ${o!.seconds99!.median} ms; worst seconds ${o!.seconds99!.worst.map((w) => `${w.at} s: ${w.p99}`).join(', ')}`,
    'writes': `WAL ${mb(io1.wal - io0.wal)} MB (${fmt((io1.wal - io0.wal) / Math.max(1, o!.approved))} B per purchase); relations extended by ${io1.extended === null ? 'n/a' : mb(io1.extended - io0.extended!)} MB; `
      + `${io1.segments === null ? 'n/a' : fmt(io1.segments - io0.segments!, 1)} WAL segment files zero-filled; ${io1.checkpoints - io0.checkpoints} checkpoints started`,
    'autovacuum workers at work': watched.autovacuum,
    'kernel writeback': writtenBack,
    'backends of the bench database waiting on': `${watched.waits}; in the 3 worst seconds ${watched.worstWaits}`,
    'answers over the p99 target': `${fmt((100 * (runtime1.requestsOver - runtime0.requestsOver)) / Math.max(1, runtime1.requests - runtime0.requests), 2)}% by the daemon's clock `
      + `(received to answer written, warm-up included), ${fmt((100 * o!.over!) / Math.max(1, lat.count), 2)}% by the generator's (from scheduled send, warm-up excluded)`,
    'daemon runtime': `GC paused ${runtime1.pauses - runtime0.pauses} times for ${fmt(1000 * (runtime1.seconds - runtime0.seconds))} ms; event loop delay over its last 10 s `
      + `p50 ${fmt(1000 * (runtime1.delay['0.5'] ?? NaN), 1)} p99 ${fmt(1000 * (runtime1.delay['0.99'] ?? NaN), 1)} max ${fmt(1000 * (runtime1.delay['1'] ?? NaN), 1)} ms`,
    'generator send lag ms (own timer)': `p99 ${o!.sendLag!.p99}  max ${o!.sendLag!.max}`,
    'machine CPU busy (all processes, all CPUs)': machine,
    'batches': batchDelta(batchCounters(metrics0), batchCounters(metrics1), o!.seconds),
  });
  return o!;
}
