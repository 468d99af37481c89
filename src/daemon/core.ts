import os from 'node:os';
import type { Context } from '../context.js';
import type { Logger } from '../logger.js';
import { Batcher, type BatcherOptions } from './batcher.js';
import { HANDLERS } from './handlers/index.js';
import type { Handler } from './handlers/types.js';
import { messageHash, type Message, type RequestSchema } from './message.js';
import { Metrics } from './metrics.js';
import { RegistryCache, type ChannelInfo } from './registry-cache.js';
import type { CoreResult, WorkItem } from './work-item.js';

/**
 * The protocol-neutral transaction core: takes a validated message from an authenticated channel
 * and returns the processed result. Front ends (HTTP/JSON now, ISO 8583 later) only parse,
 * authenticate and render.
 */
export class TransactionCore {
  readonly registry: RegistryCache;
  readonly metrics = new Metrics();
  private readonly batcher: Batcher;

  constructor(private readonly ctx: Context, opts: Partial<BatcherOptions> = {}, private readonly handlers: ReadonlyMap<string, Handler> = HANDLERS) {
    this.registry = new RegistryCache(ctx);
    this.batcher = new Batcher(
      { ctx, registry: this.registry, handlers },
      {
        concurrency: opts.concurrency ?? batchConcurrency(ctx.config.batchConcurrency, ctx.config.poolSize, os.availableParallelism()),
        maxBatch: opts.maxBatch ?? 200, maxQueue: opts.maxQueue ?? 10_000,
      },
      this.metrics,
    );
  }

  /** The request schema of a message type, or undefined when the type is unknown (400). */
  schemaOf = (type: string): RequestSchema | undefined => this.handlers.get(type)?.schema;

  /**
   * Processes one message: resolves its merchant and terminal (58 when unknown, foreign, or not
   * this channel's), then queues it for the next batch. Rejects with TemporaryError while the
   * database is unavailable or the queue is full.
   */
  async process(msg: Message, channel: ChannelInfo, log: Logger): Promise<CoreResult> {
    const handler = this.handlers.get(msg.type)!;
    const merchant = await this.resolveMerchant(msg, channel);
    const bodyHash = messageHash(this.ctx.keys.token, msg);
    const result = await new Promise<CoreResult>((resolve, reject) => {
      this.batcher.submit({ msg, handler, channel, merchant, bodyHash, log, resolve, reject } satisfies WorkItem);
    });
    if (result.kind === 'response') this.metrics.transaction(msg.type, result.response.response_code);
    return result;
  }

  get queued(): number {
    return this.batcher.queued;
  }

  /** Finishes every queued message and releases the batch connections. */
  async drain(): Promise<void> {
    await this.batcher.drain();
  }

  private async resolveMerchant(msg: Message, channel: ChannelInfo): Promise<WorkItem['merchant']> {
    if (msg.merchant === null && msg.terminal === null) return { info: null, terminalId: null, refused: false };
    const info = msg.merchant === null ? null : await this.registry.merchant(msg.merchant);
    const terminalId = info && msg.terminal !== null ? info.terminals.get(msg.terminal) ?? null : null;
    const refused = !info || terminalId === null || !channel.merchantIds.has(info.id);
    return { info, terminalId, refused };
  }
}

/**
 * Batches in flight at once. Configured (PURSE_BATCH_CONCURRENCY), or one per CPU core, at most 3:
 * two overlap one batch's commit wait with the next one's work, and on a 2-core machine a third
 * mostly competes for the same cores with smaller batches (more per-batch work: the authorization
 * bench measured more PostgreSQL CPU per purchase with 3 than with 2). Either way two connections
 * of the pool stay free for the registry and the management API.
 */
export function batchConcurrency(configured: number, poolSize: number, cpus: number): number {
  const room = Math.max(1, poolSize - 2);
  return Math.min(room, configured > 0 ? configured : Math.min(3, cpus));
}
