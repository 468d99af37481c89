import type pg from 'pg';
import { isRetryable, isUnavailable } from '../db/errors.js';
import { TemporaryError } from '../errors.js';
import { runBatch, type BatchEnv } from './batch.js';
import type { Metrics } from './metrics.js';
import type { WorkItem } from './work-item.js';

export interface BatcherOptions {
  /** Batches in flight at once, each on its own checked-out connection (default 3). */
  concurrency: number;
  /** Most messages in one batch (default 200). */
  maxBatch: number;
  /** Queued messages beyond which new ones are refused with 503 (default 10000). */
  maxQueue: number;
}

/** The daemon is over its queue limit: answer 503 and let the channel retry. */
export class OverloadedError extends TemporaryError {
  constructor() {
    super('overloaded');
  }
}

/** A message whose own batch failed for a reason that is not the database being down (a bug): answered 96, nothing stored. */
export class MessageFailedError extends Error {}

const RETRIES = 3;

/**
 * Takes the next batch off `queue`: up to `max` waiting messages in arrival order, passing over
 * those for a card in `busyCards` (held by a running batch). In a batch of their own they would wait
 * on that card's row lock until the other batch commits, and every message of their batch with
 * them; left at the head of the queue, they go with the next batch after that one ends. Messages
 * that name an original carry no card: their lock waits, rare, are left to the database. At most
 * `max` messages are passed over, so a flood for one card costs each call a bounded scan.
 */
export function takeBatch<T extends { msg: { card: string | null } }>(queue: T[], busyCards: ReadonlySet<string>, max: number): T[] {
  const taken: T[] = [];
  const passed: T[] = [];
  let n = 0;
  for (; n < queue.length && taken.length < max && passed.length < max; n++) {
    const item = queue[n]!;
    (item.msg.card !== null && busyCards.has(item.msg.card) ? passed : taken).push(item);
  }
  queue.splice(0, n, ...passed);
  return taken;
}

/**
 * Micro-batching (design §7): messages queue up while earlier batches run; each free worker takes
 * everything waiting (up to maxBatch) into one transaction (batch.ts). A batch that fails on a
 * deadlock or serialization error is retried whole (never a normal case: counted in the metrics); any other failure is retried message by message, so one
 * bad message cannot sink the others. While the database is unreachable every message fails with
 * TemporaryError (503) and the next batch reconnects.
 */
export class Batcher {
  private readonly queue: WorkItem[] = [];
  private readonly idle: pg.PoolClient[] = [];
  private readonly watched = new WeakSet<pg.PoolClient>();
  /** Card numbers of the messages in running batches (see takeBatch). */
  private readonly busyCards = new Set<string>();
  private running = 0;
  private drained: (() => void) | null = null;

  constructor(private readonly env: BatchEnv, private readonly opts: BatcherOptions, private readonly metrics: Metrics) {}

  /** Queues a message; refuses with OverloadedError when the queue is full. */
  submit(item: WorkItem): void {
    if (this.queue.length >= this.opts.maxQueue) throw new OverloadedError();
    this.queue.push(item);
    this.kick();
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Resolves when every queued message has been answered; then releases the connections. */
  async drain(): Promise<void> {
    if (this.running > 0 || this.queue.length > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    for (const c of this.idle.splice(0)) c.release();
  }

  private kick(): void {
    while (this.running < this.opts.concurrency && this.queue.length > 0) {
      const items = takeBatch(this.queue, this.busyCards, this.opts.maxBatch);
      if (items.length === 0) return; // the messages at the head of the queue are for cards of running batches
      const cards = items.flatMap((i) => (i.msg.card === null ? [] : [i.msg.card]));
      for (const c of cards) this.busyCards.add(c);
      this.running++;
      void this.runItems(items).finally(() => {
        for (const c of cards) this.busyCards.delete(c);
        this.running--;
        this.kick();
        if (this.running === 0 && this.queue.length === 0 && this.drained) {
          this.drained();
          this.drained = null;
        }
      });
    }
  }

  private async runItems(items: WorkItem[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = this.idle.pop() ?? (await this.connect());
    } catch (err) {
      const e = new TemporaryError('database unavailable', err);
      for (const i of items) i.reject(e);
      return;
    }
    let healthy = true;
    try {
      await this.attempt(client, items);
    } catch (err) {
      healthy = false;
      if (isUnavailable(err) || items.length === 1) {
        this.fail(items, err);
      } else {
        // Split: each message alone on a fresh connection, so one bad message cannot sink the others.
        this.env.ctx.logger.warn({ err, size: items.length }, 'batch failed; retrying message by message');
        this.metrics.batchSplit();
        client.release(true);
        for (const i of items) await this.runItems([i]);
        return;
      }
    }
    if (healthy) this.idle.push(client);
    else client.release(true);
  }

  /**
   * A new batch connection from the pool, watched: a checked-out pg client has no 'error' listener,
   * so a connection cut while parked (database restart, network) would throw out of the process.
   * A parked one that dies is dropped here; one in use fails its batch and is released by runItems.
   */
  private async connect(): Promise<pg.PoolClient> {
    const client = await this.env.ctx.db.pg.connect();
    if (!this.watched.has(client)) {
      this.watched.add(client);
      client.on('error', (err) => {
        const parked = this.idle.indexOf(client);
        this.env.ctx.logger.warn({ err, parked: parked >= 0 }, 'database connection lost');
        if (parked >= 0) {
          this.idle.splice(parked, 1);
          client.release(true);
        }
      });
    }
    return client;
  }

  private async attempt(client: pg.PoolClient, items: WorkItem[]): Promise<void> {
    for (let n = 1; ; n++) {
      const started = process.hrtime.bigint();
      try {
        const { results, deferred, transactions } = await runBatch(this.env, client, items);
        // Answered messages only: deferred ones run in a later batch, busy ones (Citus) were answered 503.
        if (results.size > 0) this.metrics.batch(results.size, Number(process.hrtime.bigint() - started) / 1e9, transactions);
        for (const [item, result] of results) item.resolve(result);
        if (deferred.length) {
          this.queue.unshift(...deferred);
          this.kick();
        }
        return;
      } catch (err) {
        if (n < RETRIES && isRetryable(err)) {
          this.metrics.batchRetry();
          continue;
        }
        throw err;
      }
    }
  }

  private fail(items: WorkItem[], err: unknown): void {
    const unavailable = isUnavailable(err);
    for (const i of items) {
      if (unavailable) i.reject(new TemporaryError('database unavailable', err));
      else {
        i.log.error({ err }, 'message failed');
        i.reject(new MessageFailedError('message failed'));
      }
    }
  }
}
