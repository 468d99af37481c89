import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import type { Context } from '../context.js';
import type { TransactionCore } from '../daemon/core.js';
import { dispatch, PREFIX, Router } from './router.js';
import { Problem, problemBody, toProblem } from './problem.js';
import { ROUTES } from './routes.js';
import { openApi } from './openapi.js';
import { ensureWebSeat } from './web-seat.js';
import { duplicateKey } from './json.js';
import { resolveStaleOrders } from '../mall/orders.js';

const MAX_BODY = 64 * 1024;

export interface AdminListener {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

/** Whatever serves GET /metrics (the transaction daemon's renderer). */
export type MetricsSource = () => string | Promise<string>;

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

/** A JSON body that refuses duplicate keys (a typo must never be read as a default). */
function parseJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Problem(400, 'invalid_json', 'the body is not JSON', { field: 'body' });
  }
  const dup = duplicateKey(text);
  if (dup !== null) throw new Problem(400, 'invalid_json', `field ${JSON.stringify(dup)} appears twice`, { field: dup });
  return value;
}

/**
 * Starts the management API listener (design §10) on `port` at the configured host: `/admin/v1/…`,
 * `/admin/v1/openapi.json` and `/metrics` (both without a token: the listener is internal).
 */
export async function startAdmin(ctx: Context, core: TransactionCore, port: number, metrics: MetricsSource): Promise<AdminListener> {
  await ensureWebSeat(ctx);
  // Orders a crash left pending or cancelling are finished by replaying their request ids (src/mall/orders.ts).
  const recovery = setInterval(() => { resolveStaleOrders(ctx, core).catch((err: unknown) => ctx.logger.warn({ err }, 'order recovery failed')); }, 30_000);
  recovery.unref();
  const router = new Router(ROUTES);
  const spec = openApi(ROUTES);
  const handle = async (req: http.IncomingMessage): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> => {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (req.method === 'GET' && url.pathname === '/metrics') return { status: 200, body: await metrics(), headers: { 'content-type': 'text/plain; version=0.0.4' } };
    if (req.method === 'GET' && url.pathname === `${PREFIX}/openapi.json`) return { status: 200, body: spec };
    const raw = await readBody(req);
    if (raw === null) throw new Problem(413, 'too_large', `body above ${MAX_BODY} bytes`, { field: 'body' });
    return dispatch(ctx, core, router, {
      method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), body: parseJson(raw),
      headers: req.headers, source: req.socket.remoteAddress ?? null, requestId: crypto.randomUUID(),
    });
  };
  const server = http.createServer((req, res) => {
    handle(req).then(
      (a) => send(res, a.status, a.body, a.headers),
      (err: unknown) => {
        const p = toProblem(err);
        if (p.status === 500) ctx.logger.error({ err }, 'admin request failed');
        send(res, p.status, problemBody(p, req.url?.split('?')[0] ?? '/'), { 'content-type': 'application/problem+json', ...p.headers });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, ctx.config.host, () => resolve());
  });
  const addr = server.address() as net.AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  ctx.logger.info({ url }, 'purse admin listening');
  return {
    server, url,
    close: () => new Promise<void>((resolve) => {
      clearInterval(recovery);
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (status === 204) {
    res.writeHead(204, headers);
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
