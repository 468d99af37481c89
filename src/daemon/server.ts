import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Context } from '../context.js';
import { TransactionCore } from './core.js';
import type { BatcherOptions } from './batcher.js';
import { postTransaction, type Answer } from './http-transactions.js';
import { startScheduler, type Scheduler, type SchedulerOptions } from './scheduler.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import { startIsoListener, type IsoListener } from '../iso/listener.js';
import { openApiOf } from './openapi.js';
import { HANDLERS } from './handlers/index.js';

export interface Daemon {
  server: http.Server;
  /** Base URL the daemon listens on (with the real port when started on port 0). */
  url: string;
  core: TransactionCore;
  /** The job scheduler, when this daemon runs one. */
  scheduler: Scheduler | null;
  /** The ISO 8583 listener (design §5b), when `isoPort` is configured. */
  iso: IsoListener | null;
  /** Stops accepting, lets in-flight requests finish, closes within `deadlineMs`. */
  close(deadlineMs?: number): Promise<void>;
}

export interface DaemonOptions {
  /** PEM certificate and key: serve HTTPS directly. */
  tls?: { cert: Buffer; key: Buffer };
  batch?: Partial<BatcherOptions>;
  /**
   * Run the job scheduler (src/daemon/scheduler.ts) in this daemon. Off unless asked for:
   * `purse serve` turns it on (`--no-scheduler` keeps it off); in-process test daemons on a
   * manual clock leave it off so wall-clock cron ticks never touch their data.
   */
  scheduler?: boolean | SchedulerOptions;
}

const MAX_BODY = 16 * 1024;

function send(res: http.ServerResponse, a: Answer): void {
  const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
  const type = typeof a.body === 'string' ? 'text/plain; version=0.0.4' : 'application/json';
  res.writeHead(a.status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...a.headers });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Routes one HTTP request. */
async function route(ctx: Context, core: TransactionCore, runtime: RuntimeMetrics, req: http.IncomingMessage, extra: () => string[] = () => []): Promise<Answer> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'POST' && path === '/v1/transactions') {
    const raw = await readBody(req);
    if (raw === null) return { status: 413, body: { error: { code: 'too_large', message: `body above ${MAX_BODY} bytes`, field: 'body' } } };
    return postTransaction(ctx, core, req, raw);
  }
  if (req.method === 'GET' && path === '/healthz') {
    try {
      await ctx.db.pg.query('select 1');
      return { status: 200, body: { status: 'ok' } };
    } catch {
      return { status: 503, body: { status: 'database unavailable' }, headers: { 'retry-after': '1' } };
    }
  }
  if (req.method === 'GET' && path === '/openapi.json') return { status: 200, body: openApiOf(HANDLERS) };
  if (req.method === 'GET' && path === '/metrics') return { status: 200, body: core.metrics.render(ctx.db.pg, core.queued, [...runtime.lines(), ...extra()]) };
  req.resume();
  return { status: 404, body: { error: { code: 'not_found', message: `no route ${req.method} ${path}` } } };
}

/**
 * Starts the authorization daemon on the configured host and port (port 0 = any free port; the
 * bound URL is logged and returned): POST /v1/transactions, GET /healthz, GET /metrics.
 */
export async function startDaemon(ctx: Context, opts: DaemonOptions = {}): Promise<Daemon> {
  const core = new TransactionCore(ctx, opts.batch);
  const runtime = new RuntimeMetrics();
  let iso: IsoListener | null = null;
  let inFlight = 0;
  let idle: (() => void) | null = null;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = process.hrtime.bigint();
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (inFlight === 0 && idle) idle();
    });
    route(ctx, core, runtime, req, () => iso?.metrics.lines() ?? []).then(
      (a) => {
        send(res, a);
        if (req.url?.startsWith('/v1/')) core.metrics.request(a.status, Number(process.hrtime.bigint() - started) / 1e9);
      },
      (err) => {
        ctx.logger.error({ err }, 'request failed');
        if (!res.headersSent) send(res, { status: 500, body: { error: { code: 'internal', message: 'internal error' } } });
      },
    );
  };
  const server: http.Server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ctx.config.port, ctx.config.host, () => resolve());
  }).catch((err: unknown) => {
    runtime.stop();
    throw err;
  });
  const addr = server.address() as net.AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${opts.tls ? 'https' : 'http'}://${host}:${addr.port}`;
  ctx.logger.info({ url }, 'purse daemon listening');
  if (ctx.config.isoPort !== undefined) {
    try {
      iso = await startIsoListener(ctx, core, { port: ctx.config.isoPort, channel: ctx.config.isoChannel! });
    } catch (err) {
      server.close();
      runtime.stop();
      throw err;
    }
  }
  const scheduler = opts.scheduler ? startScheduler(ctx, opts.scheduler === true ? {} : opts.scheduler) : null;
  return {
    server,
    url,
    core,
    scheduler,
    iso,
    async close(deadlineMs = 10_000) {
      const schedulerStopped = scheduler ? scheduler.stop(deadlineMs) : Promise.resolve();
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const finished = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
      const isoClosed = iso ? iso.close(deadlineMs) : Promise.resolve();
      await Promise.race([Promise.all([finished, isoClosed]).then(() => core.drain()), deadline]);
      server.closeAllConnections();
      await Promise.race([closed, deadline]);
      await schedulerStopped;
      runtime.stop();
    },
  };
}
