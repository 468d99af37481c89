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
import { startAdmin, type AdminListener } from '../admin/listener.js';
import { AuthThrottle } from './auth-throttle.js';
import { HealthProbe } from './health.js';
import { RegistryListener } from './registry-listener.js';
import { jobSuccessGauge } from './job-runs.js';

export interface Daemon {
  server: http.Server;
  /** Base URL the daemon listens on (with the real port when started on port 0). */
  url: string;
  core: TransactionCore;
  /** The job scheduler, when this daemon runs one. */
  scheduler: Scheduler | null;
  /** The management API listener (design §10) when an admin port is configured. */
  admin: AdminListener | null;
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
  // For HEAD, node sends the headers (with the length a GET would have) and no body.
  res.writeHead(a.status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...a.headers });
  res.end(text);
}

/** Too large: refused without reading (the connection closes: what follows the headers is never read). */
const TOO_LARGE: Answer = { status: 413, body: { error: { code: 'too_large', message: `body above ${MAX_BODY} bytes`, field: 'body' } }, headers: { connection: 'close' } };

/** The body, or null once it grows past MAX_BODY (reading stops there). */
function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) return void chunks.push(c);
      req.off('data', onData);
      req.pause();
      resolve(null);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Methods each route answers (HEAD wherever GET is); another method on a known path is a 405. */
const ROUTES: Readonly<Record<string, readonly string[]>> = {
  '/v1/transactions': ['POST'],
  '/healthz': ['GET', 'HEAD'],
  '/readyz': ['GET', 'HEAD'],
  '/metrics': ['GET', 'HEAD'],
  '/openapi.json': ['GET', 'HEAD'],
};

/** What route() needs from the daemon around it. */
interface RouteState {
  core: TransactionCore;
  throttle: AuthThrottle;
  health: HealthProbe;
  draining: () => boolean;
}

/** Routes one HTTP request. A 404 never echoes the path: it may hold a card number. */
async function route(ctx: Context, st: RouteState, req: http.IncomingMessage): Promise<Answer> {
  const path = (req.url ?? '/').split('?')[0]!;
  // With an admin listener /metrics is served there (design §5, §10), not on the transaction port.
  const methods = path === '/metrics' && ctx.config.adminPort !== null ? undefined : ROUTES[path];
  if (!methods) {
    req.resume();
    return { status: 404, body: { error: { code: 'not_found', message: 'no such route' } } };
  }
  if (!methods.includes(req.method ?? '')) {
    req.resume();
    return { status: 405, body: { error: { code: 'method_not_allowed', message: `use ${methods.join(' or ')}` } }, headers: { allow: methods.join(', ') } };
  }
  if (path === '/v1/transactions') {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) return TOO_LARGE;
    const raw = await readBody(req);
    if (raw === null) return TOO_LARGE;
    return postTransaction(ctx, st.core, req, raw, st.throttle);
  }
  if (path === '/healthz') {
    return (await st.health.ok())
      ? { status: 200, body: { status: 'ok' } }
      : { status: 503, body: { status: 'database unavailable' }, headers: { 'retry-after': '1' } };
  }
  if (path === '/readyz') {
    return st.draining()
      ? { status: 503, body: { status: 'draining' }, headers: { 'retry-after': '1' } }
      : { status: 200, body: { status: 'ready' } };
  }
  if (path === '/openapi.json') return { status: 200, body: openApiOf(HANDLERS) };
  return { status: 200, body: await st.core.metrics.render() };
}

/** A failure that only means the client went away mid-request (not the daemon's fault). */
function clientGone(req: http.IncomingMessage, err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return req.destroyed || code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'EPIPE' || (err as Error | null)?.message === 'aborted';
}

/**
 * Caps open connections per source address (the total is the server's maxConnections): a
 * connection beyond the cap is closed at once, before it can send anything.
 */
function capPerSource(server: net.Server, max: number, logger: Context['logger']): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: net.Socket) => {
    const source = socket.remoteAddress ?? 'unknown';
    const n = (open.get(source) ?? 0) + 1;
    if (n > max) {
      logger.debug({ source, max }, 'connection refused: too many from this address');
      socket.destroy();
      return;
    }
    open.set(source, n);
    socket.once('close', () => {
      const left = (open.get(source) ?? 1) - 1;
      if (left <= 0) open.delete(source);
      else open.set(source, left);
    });
  });
}

/**
 * Starts the authorization daemon on the configured host and port (port 0 = any free port; the
 * bound URL is logged and returned): POST /v1/transactions, GET /healthz, GET /readyz, GET /metrics.
 */
export async function startDaemon(ctx: Context, opts: DaemonOptions = {}): Promise<Daemon> {
  const core = new TransactionCore(ctx, opts.batch);
  const runtime = new RuntimeMetrics();
  core.metrics.collectRuntime();
  runtime.registerIn(core.metrics.registry);
  core.metrics.gauge('purse_queue_depth', 'Messages waiting for a batch.', [], (set) => set({}, core.queued));
  core.metrics.gauge('purse_db_pool_connections', 'Hot-path pool connections by state.', ['state'], (set) => {
    set({ state: 'total' }, ctx.db.pg.totalCount);
    set({ state: 'idle' }, ctx.db.pg.idleCount);
    set({ state: 'waiting' }, ctx.db.pg.waitingCount);
  });
  jobSuccessGauge(ctx, core.metrics);
  const health = new HealthProbe(ctx.db.pg);
  const listener = new RegistryListener(ctx, core.registry);
  let draining = false;
  const state: RouteState = { core, throttle: new AuthThrottle(ctx.config.authFailureLimit), health, draining: () => draining };
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
    route(ctx, state, req).then(
      (a) => {
        send(res, a);
        if (req.url?.startsWith('/v1/')) core.metrics.request(a.status, Number(process.hrtime.bigint() - started) / 1e9);
      },
      (err) => {
        if (clientGone(req, err)) ctx.logger.debug({ code: (err as NodeJS.ErrnoException).code }, 'client went away mid-request');
        else ctx.logger.error({ err }, 'request failed');
        if (!res.headersSent && !res.destroyed) send(res, { status: 500, body: { error: { code: 'internal', message: 'internal error' } } });
      },
    );
  };
  const server: http.Server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  server.maxConnections = ctx.config.maxConnections;
  capPerSource(server, ctx.config.maxConnectionsPerSource, ctx.logger);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    // Malformed requests and resets are the client's business: debug, and close without a stack.
    ctx.logger.debug({ code: err.code }, 'client connection error');
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ctx.config.port, ctx.config.host, () => resolve());
  }).catch(async (err: unknown) => {
    runtime.stop();
    await listener.stop();
    throw err;
  });
  const addr = server.address() as net.AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${opts.tls ? 'https' : 'http'}://${host}:${addr.port}`;
  ctx.logger.info({ url }, 'purse daemon listening');
  const admin = ctx.config.adminPort === null ? null
    : await startAdmin(ctx, core, ctx.config.adminPort, () => core.metrics.render()).catch(async (err: unknown) => {
      server.close();
      runtime.stop();
      await listener.stop();
      throw err;
    });
  if (ctx.config.isoPort !== undefined) {
    try {
      iso = await startIsoListener(ctx, core, { port: ctx.config.isoPort, channel: ctx.config.isoChannel! });
    } catch (err) {
      server.close();
      runtime.stop();
      await admin?.close();
      await listener.stop();
      throw err;
    }
  }
  const scheduler = opts.scheduler ? startScheduler(ctx, opts.scheduler === true ? {} : opts.scheduler) : null;
  return {
    server,
    url,
    core,
    scheduler,
    admin,
    iso,
    async close(deadlineMs = 10_000) {
      const adminClosed = admin ? admin.close() : Promise.resolve();
      draining = true;
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
      await adminClosed;
      await listener.stop();
      runtime.stop();
    },
  };
}
