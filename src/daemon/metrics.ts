import type pg from 'pg';

/** Upper bounds (seconds) of the latency histogram buckets. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200];

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly bounds: number[]) {
    this.counts = bounds.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]!) this.counts[i]!++;
  }
  lines(name: string): string[] {
    const out = this.bounds.map((b, i) => `${name}_bucket{le="${b}"} ${this.counts[i]}`);
    out.push(`${name}_bucket{le="+Inf"} ${this.count}`, `${name}_sum ${this.sum}`, `${name}_count ${this.count}`);
    return out;
  }
}

/**
 * The daemon's Prometheus metrics (`GET /metrics`, text format 0.0.4): transactions by type and
 * response code, HTTP answers by status, request latency, batch sizes and durations, queue depth and
 * connection pool use. Counters live in memory and start at zero with the process.
 */
export class Metrics {
  private readonly transactions = new Map<string, number>();
  private readonly http = new Map<string, number>();
  private readonly latency = new Histogram(LATENCY_BUCKETS);
  private readonly batchSize = new Histogram(BATCH_BUCKETS);
  private readonly batchSeconds = new Histogram(LATENCY_BUCKETS);
  private batches = 0;
  private batchRetries = 0;
  private batchSplits = 0;

  /** One processed message (answered 200). */
  transaction(type: string, code: string): void {
    const k = `type="${type}",response_code="${code}"`;
    this.transactions.set(k, (this.transactions.get(k) ?? 0) + 1);
  }

  /** One HTTP answer of POST /v1/transactions, with its latency. */
  request(status: number, seconds: number): void {
    const k = `status="${status}"`;
    this.http.set(k, (this.http.get(k) ?? 0) + 1);
    this.latency.observe(seconds);
  }

  /** One committed batch of `size` messages. */
  batch(size: number, seconds: number): void {
    this.batchSize.observe(size);
    this.batchSeconds.observe(seconds);
    this.batches++;
  }

  /** A batch rolled back on a deadlock or serialization failure and run again (never a normal case). */
  batchRetry(): void {
    this.batchRetries++;
  }

  /** A failed batch split to run message by message. */
  batchSplit(): void {
    this.batchSplits++;
  }

  /** The batch counters, for tests and benchmarks. */
  get batchCounts(): { batches: number; retries: number; splits: number } {
    return { batches: this.batches, retries: this.batchRetries, splits: this.batchSplits };
  }

  /** The exposition text; `more`: lines of other collectors (RuntimeMetrics). */
  render(pool: pg.Pool, queued: number, more: readonly string[] = []): string {
    const lines: string[] = [
      '# HELP purse_transactions_total Processed messages by type and DE39 response code.',
      '# TYPE purse_transactions_total counter',
      ...[...this.transactions].map(([k, v]) => `purse_transactions_total{${k}} ${v}`),
      '# HELP purse_http_requests_total Answers to POST /v1/transactions by HTTP status.',
      '# TYPE purse_http_requests_total counter',
      ...[...this.http].map(([k, v]) => `purse_http_requests_total{${k}} ${v}`),
      '# HELP purse_request_duration_seconds Time from request received to answer sent.',
      '# TYPE purse_request_duration_seconds histogram',
      ...this.latency.lines('purse_request_duration_seconds'),
      '# HELP purse_batch_size Messages per database transaction.',
      '# TYPE purse_batch_size histogram',
      ...this.batchSize.lines('purse_batch_size'),
      '# HELP purse_batch_duration_seconds Duration of one batch transaction.',
      '# TYPE purse_batch_duration_seconds histogram',
      ...this.batchSeconds.lines('purse_batch_duration_seconds'),
      '# HELP purse_batches_total Batch transactions committed (each: prefetch and write, two round trips).',
      '# TYPE purse_batches_total counter',
      `purse_batches_total ${this.batches}`,
      '# HELP purse_batch_retries_total Batches rolled back on a deadlock or serialization failure and run again.',
      '# TYPE purse_batch_retries_total counter',
      `purse_batch_retries_total ${this.batchRetries}`,
      '# HELP purse_batch_splits_total Failed batches run again message by message.',
      '# TYPE purse_batch_splits_total counter',
      `purse_batch_splits_total ${this.batchSplits}`,
      '# HELP purse_queue_depth Messages waiting for a batch.',
      '# TYPE purse_queue_depth gauge',
      `purse_queue_depth ${queued}`,
      '# HELP purse_db_pool_connections Hot-path pool connections by state.',
      '# TYPE purse_db_pool_connections gauge',
      `purse_db_pool_connections{state="total"} ${pool.totalCount}`,
      `purse_db_pool_connections{state="idle"} ${pool.idleCount}`,
      `purse_db_pool_connections{state="waiting"} ${pool.waitingCount}`,
      ...more,
    ];
    return `${lines.join('\n')}\n`;
  }
}
