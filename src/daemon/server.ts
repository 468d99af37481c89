import http from 'node:http';
import type { Context } from '../context.js';

export interface Daemon {
  server: http.Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish, closes within `deadlineMs`. */
  close(deadlineMs?: number): Promise<void>;
}

/** Routes one HTTP request. */
async function route(ctx: Context, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/healthz') {
    try {
      await ctx.db.pg.query('select 1');
      send(res, 200, { status: 'ok' });
    } catch {
      send(res, 503, { status: 'database unavailable' }, { 'retry-after': '1' });
    }
    return;
  }
  send(res, 404, { error: { code: 'not_found', message: `no route ${req.method} ${req.url}` } });
}

export function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Starts the HTTP daemon on the configured host and port. */
export async function startDaemon(ctx: Context): Promise<Daemon> {
  const server = http.createServer((req, res) => {
    route(ctx, req, res).catch((err) => {
      ctx.logger.error({ err }, 'request failed');
      if (!res.headersSent) send(res, 500, { error: { code: 'internal', message: 'internal error' } });
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ctx.config.port, ctx.config.host, () => resolve());
  });
  const addr = server.address() as import('node:net').AddressInfo;
  const url = `http://${ctx.config.host}:${addr.port}`;
  ctx.logger.info({ url }, 'purse daemon listening');
  return {
    server,
    url,
    close(deadlineMs = 10_000) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => { server.closeAllConnections(); resolve(); }, deadlineMs);
        server.close(() => { clearTimeout(timer); resolve(); });
        server.closeIdleConnections();
      });
    },
  };
}
