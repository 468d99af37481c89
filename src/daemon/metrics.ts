import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { purseVersion } from '../version.js';

/** Upper bounds (seconds) of the latency histogram buckets. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200];
/** Longest a scrape waits for one gauge's values. */
const COLLECT_MS = 500;

/** Sets one labelled value of a gauge while it is collected. */
export type GaugeSetter = (labels: Record<string, string>, value: number) => void;

/**
 * The daemon's Prometheus metrics (prom-client, one registry per daemon: several daemons in one
 * process, as in tests, never share counters): transactions by type and response code, HTTP
 * answers by status, request latency, batch sizes and durations, `purse_build_info`, and gauges
 * the daemon adds (`gauge`). Counters live in memory and start at zero with the process.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly transactions = new Counter({
    name: 'purse_transactions_total', help: 'Processed messages by type and DE39 response code.', labelNames: ['type', 'response_code'], registers: [this.registry],
  });
  private readonly http = new Counter({
    name: 'purse_http_requests_total', help: 'Answers to POST /v1/transactions by HTTP status.', labelNames: ['status'], registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'purse_request_duration_seconds', help: 'Time from request received to answer sent.', buckets: LATENCY_BUCKETS, registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'purse_batch_size', help: 'Messages per batch (one database transaction on a single server, one per shard group on Citus).', buckets: BATCH_BUCKETS, registers: [this.registry],
  });
  private readonly batchSeconds = new Histogram({
    name: 'purse_batch_duration_seconds', help: 'Duration of one batch (all its transactions).', buckets: LATENCY_BUCKETS, registers: [this.registry],
  });
  private readonly batches = new Counter({ name: 'purse_batches_total', help: 'Committed batch transactions.', registers: [this.registry] });
  private readonly groupTransactions = new Counter({
    name: 'purse_batch_transactions_total',
    help: 'Database transactions committed by batches: one per batch on a single server, one per shard group of a batch on Citus.', registers: [this.registry],
  });
  private readonly batchRetries = new Counter({
    name: 'purse_batch_retries_total', help: 'Batches rolled back on a deadlock or serialization failure and run again (never a normal case).', registers: [this.registry],
  });
  private readonly batchSplits = new Counter({
    name: 'purse_batch_splits_total', help: 'Failed batches split to run message by message.', registers: [this.registry],
  });
  /** The batch counters as plain numbers (prom-client reads its own asynchronously). */
  private readonly counts = { batches: 0, transactions: 0, retries: 0, splits: 0 };
  private defaults = false;

  constructor() {
    new Gauge({ name: 'purse_build_info', help: 'Always 1; the labels name the running build.', labelNames: ['version', 'node'], registers: [this.registry] })
      .set({ version: purseVersion(), node: process.version }, 1);
  }

  /** One processed message (answered 200). */
  transaction(type: string, code: string): void {
    this.transactions.inc({ type, response_code: code });
  }

  /** One HTTP answer of POST /v1/transactions, with its latency. */
  request(status: number, seconds: number): void {
    this.http.inc({ status: String(status) });
    this.latency.observe(seconds);
  }

  /** One committed batch of `size` messages, in `transactions` database transactions (its shard groups on Citus). */
  batch(size: number, seconds: number, transactions = 1): void {
    this.batchSize.observe(size);
    this.batchSeconds.observe(seconds);
    this.batches.inc();
    this.groupTransactions.inc(transactions);
    this.counts.batches++;
    this.counts.transactions += transactions;
  }

  /** A batch rolled back on a deadlock or serialization failure and run again (never a normal case). */
  batchRetry(): void {
    this.batchRetries.inc();
    this.counts.retries++;
  }

  /** A failed batch split to run message by message. */
  batchSplit(): void {
    this.batchSplits.inc();
    this.counts.splits++;
  }

  /** The batch counters, for tests and benchmarks. */
  get batchCounts(): { batches: number; transactions: number; retries: number; splits: number } {
    return { ...this.counts };
  }
  /**
   * Adds a gauge whose values are read when /metrics is scraped. `collect` sets them; if it throws
   * or takes longer than COLLECT_MS (the database is away or stuck), the gauge shows nothing for
   * that scrape rather than failing or hanging the page.
   */
  gauge(name: string, help: string, labelNames: string[], collect: (set: GaugeSetter) => void | Promise<void>): void {
    new Gauge({
      name, help, labelNames, registers: [this.registry],
      async collect() {
        this.reset();
        let open = true;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, COLLECT_MS);
        });
        try {
          await Promise.race([collect((labels, value) => {
            if (open) this.set(labels, value);
          }), late]);
        } catch {
          this.reset();
        } finally {
          open = false;
          clearTimeout(timer);
        }
      },
    });
  }

  /** Adds prom-client's process and Node runtime metrics (CPU, memory, handles, event-loop lag, GC); once. */
  collectRuntime(): void {
    if (this.defaults) return;
    this.defaults = true;
    collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
