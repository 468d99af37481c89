import fs from 'node:fs';
import type { Command } from 'commander';
import { openContext, type Context } from '../context.js';
import { startDaemon, type Daemon } from '../daemon/server.js';
import { ensureDemo } from '../demo.js';
import { firstContactHelp } from './demo.js';
import { InputError, UsageError } from '../errors.js';

interface ServeOptions {
  host?: string; port?: string; isoPort?: string; isoChannel?: string; demo?: boolean; tlsCert?: string; tlsKey?: string; scheduler?: boolean;
  shutdownTimeout?: string; adminPort?: string; migrate?: boolean;
}

/** Seconds in-flight work gets to finish after SIGTERM/SIGINT before the daemon exits anyway. */
const SHUTDOWN_SECONDS = 10;
/** Exit code when the deadline passed with work in flight (design §6: temporary failure, retry). */
const EXIT_TEMPORARY = 75;

/** Resolves on the first SIGINT or SIGTERM. */
function signalled(ctx: Context): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      ctx.logger.info({ signal }, 'shutting down');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * Runs the daemon until SIGINT/SIGTERM, then drains: stops accepting, finishes in-flight
 * requests and queued messages, closes the pools and an embedded database it started, and exits 0.
 * Hard deadline (`--shutdown-timeout`, default 10 s): work still holding a database connection
 * then is abandoned — its uncommitted batch rolls back when the process exits, its channels get no
 * answer and retry (idempotent) — and the exit code is 75. A second signal kills at once.
 * Prints `purse daemon listening on <url>` to stderr once it accepts requests. Runs the job
 * scheduler too unless `--no-scheduler`.
 */
export async function serve(opts: ServeOptions): Promise<void> {
  const port = opts.port === undefined ? undefined : Number(opts.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError('--port must be 0-65535');
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
  const tls = opts.tlsCert && opts.tlsKey ? { cert: fs.readFileSync(opts.tlsCert), key: fs.readFileSync(opts.tlsKey) } : undefined;
  const seconds = opts.shutdownTimeout === undefined ? SHUTDOWN_SECONDS : Number(opts.shutdownTimeout);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3600) throw new UsageError('--shutdown-timeout must be 0-3600 seconds');
  const adminPort = opts.adminPort === undefined ? undefined : Number(opts.adminPort);
  if (adminPort !== undefined && (!Number.isInteger(adminPort) || adminPort < 0 || adminPort > 65535)) throw new UsageError('--admin-port must be 0-65535');
  const isoPort = opts.isoPort === undefined ? undefined : Number(opts.isoPort);
  if (isoPort !== undefined && (!Number.isInteger(isoPort) || isoPort < 0 || isoPort > 65535)) throw new UsageError('--iso-port must be 0-65535');
  const ctx = await openContext({
    overrides: { host: opts.host, port, adminPort, isoPort, isoChannel: opts.isoChannel }, longRunning: true,
    pendingMigrations: opts.migrate ? 'apply' : 'refuse', defaultLogLevel: 'info',
  });
  const stopping = signalled(ctx); // a signal during start-up still shuts down cleanly afterwards
  let daemon: Daemon;
  try {
    daemon = await startDaemon(ctx, { tls, scheduler: opts.scheduler !== false });
  } catch (err) {
    await ctx.close(); // also stops an embedded database this process started
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new InputError('listen_failed', `cannot listen on ${ctx.config.host}:${ctx.config.port} (${code})`, code === 'EADDRNOTAVAIL' ? 'host' : 'port');
    }
    throw err;
  }
  process.stderr.write(`purse daemon listening on ${daemon.url}\n`);
  if (daemon.admin) process.stderr.write(`purse admin API listening on ${daemon.admin.url}/admin/v1\n`);
  if (opts.demo) {
    try {
      const demo = await ensureDemo(ctx);
      const iso = daemon.iso ? { host: ctx.config.host, port: daemon.iso.port } : undefined;
      for (const line of firstContactHelp(demo, daemon.url, iso)) process.stderr.write(`${line}\n`);
    } catch (err) {
      await daemon.close(0); // else the listening server would keep the failed process alive
      await ctx.close();
      throw err;
    }
  }
  await stopping;
  await daemon.close(seconds * 1000);
  const busy = ctx.db.pg.totalCount - ctx.db.pg.idleCount;
  if (busy > 0) {
    ctx.logger.error({ deadline_seconds: seconds, connections_in_use: busy }, 'shutdown deadline passed with work in flight; exiting (uncommitted batches roll back)');
    process.exit(EXIT_TEMPORARY);
  }
  await ctx.close();
  ctx.logger.info('stopped');
}

export function register(program: Command): void {
  program.command('serve').description('run the authorization daemon (and scheduler)')
    .option('--host <host>', 'listen address (default 127.0.0.1)')
    .option('--port <port>', 'listen port (default 8080; 0 = any free port)')
    .option('--iso-port <port>', 'also listen for ISO 8583 POS traffic on this port (env PURSE_ISO_PORT)')
    .option('--iso-channel <code>', 'channel all ISO 8583 traffic belongs to (env PURSE_ISO_CHANNEL)')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS directly')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--admin-port <port>', 'serve the management API and /metrics on this port (env PURSE_ADMIN_PORT)')
    .option('--demo', 'create the demo set-up and print how to send a first transaction')
    .option('--no-scheduler', 'do not run scheduled jobs in this daemon (another daemon runs them)')
    .option('--shutdown-timeout <seconds>', `on SIGTERM/SIGINT, time in-flight work gets to finish (default ${SHUTDOWN_SECONDS})`)
    .option('--migrate', 'apply pending migrations to a DATABASE_URL database (the embedded one is always migrated)')
    .action((o: ServeOptions) => serve(o));
}
