import pg from 'pg';
import type { Context } from '../context.js';
import { REGISTRY_NOTIFY_CHANNEL } from '../registry/notify.js';
import type { RegistryCache } from './registry-cache.js';

/** Wait before connecting again after the listening connection was lost. */
const RECONNECT_MS = 1_000;

/**
 * Keeps one connection LISTENing on REGISTRY_NOTIFY_CHANNEL so a channel's secret rotation (or
 * merchant change) takes effect on every daemon at once, not after the cache's TTL: the command
 * sends the notification in its own transaction, so it arrives exactly when the change commits.
 * While the connection is away notifications may be missed, so on every (re)connection the
 * cached channels are forgotten.
 */
export class RegistryListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  /** Resolves once the first LISTEN is in place (or failed); for tests and start-up ordering. */
  readonly ready: Promise<void>;

  constructor(private readonly ctx: Context, private readonly registry: RegistryCache) {
    this.ready = this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.ctx.db.url, application_name: 'purse-registry-listener', connectionTimeoutMillis: 5000 });
    this.client = client;
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      client.end().catch(() => undefined);
      if (this.client === client) this.client = null;
      this.retry();
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (n) => {
      const [kind, code] = (n.payload ?? '').split(':', 2);
      if (kind === 'channel' && code) this.registry.forgetChannel(code);
    });
    try {
      await client.connect();
      await client.query(`listen ${REGISTRY_NOTIFY_CHANNEL}`);
      this.registry.forgetChannels();
      this.ctx.logger.debug('listening for registry changes');
    } catch (err) {
      this.ctx.logger.debug({ err }, 'registry listener could not connect; retrying');
      onLost();
    }
  }

  private retry(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, RECONNECT_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }
}
