import { Counter, Gauge, type Registry } from 'prom-client';
import { constants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram, type PerformanceEntry } from 'node:perf_hooks';

const QUANTILES = [0.5, 0.99, 1] as const;
/** The delay monitor's sampling interval; it records whole intervals, so this much is taken off each. */
const RESOLUTION_MS = 10;

const GC_KINDS: Readonly<Record<number, string>> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * The Node process's own contributions to answer latency (README "Where the authorization tail comes
 * from"): how late the event loop runs (every request's callbacks wait that long) and the garbage
 * collector's pauses (during which nothing runs). Started with the daemon, stopped with it.
 */
export class RuntimeMetrics {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  /** Quantiles (seconds) of the last complete window; null until the first window ends. */
  private window: number[] | null = null;
  private readonly gc = new Map<string, { count: number; seconds: number }>();
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = GC_KINDS[(e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
      const g = this.gc.get(kind) ?? { count: 0, seconds: 0 };
      g.count++;
      g.seconds += e.duration / 1000;
      this.gc.set(kind, g);
    }
  });
  private readonly timer: NodeJS.Timeout;

  /** `windowMs`: how long one event-loop delay window lasts; /metrics shows the last complete one. */
  constructor(private readonly windowMs = 10_000) {
    this.delay.enable();
    this.observer.observe({ entryTypes: ['gc'] });
    this.timer = setInterval(() => {
      this.window = QUANTILES.map((q) => Math.max(0, (q === 1 ? this.delay.max : this.delay.percentile(q * 100)) / 1e6 - RESOLUTION_MS) / 1000);
      this.delay.reset();
    }, windowMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.delay.disable();
    this.observer.disconnect();
  }

  /**
   * Adds these measurements to a prom-client registry, read at each scrape (prom-client's own
   * `nodejs_eventloop_lag_*` is a running histogram since start; this is the last window's).
   */
  registerIn(registry: Registry): void {
    const windowOf = () => this.window;
    const gc = this.gc;
    new Gauge({
      name: 'purse_event_loop_delay_seconds', help: `How late the event loop ran, over the last complete ${this.windowMs / 1000} s window (quantile 1 = max).`,
      labelNames: ['quantile'], registers: [registry],
      collect() {
        this.reset();
        const w = windowOf();
        if (w) QUANTILES.forEach((q, i) => this.set({ quantile: String(q) }, w[i]!));
      },
    });
    new Counter({
      name: 'purse_gc_pause_seconds_total', help: 'Time the garbage collector paused the process, by kind.', labelNames: ['kind'], registers: [registry],
      collect() {
        this.reset();
        for (const [kind, g] of gc) this.inc({ kind }, g.seconds);
      },
    });
    new Counter({
      name: 'purse_gc_pauses_total', help: 'Garbage collector pauses, by kind.', labelNames: ['kind'], registers: [registry],
      collect() {
        this.reset();
        for (const [kind, g] of gc) this.inc({ kind }, g.count);
      },
    });
  }
}
