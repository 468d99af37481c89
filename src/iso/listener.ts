import net from 'node:net';
import type { Context } from '../context.js';
import type { TransactionCore } from '../daemon/core.js';
import { lazyChild } from '../logger.js';
import { scrubPans } from '../cards/luhn.js';
import { IsoFormatError, loggable, pack, text, unpack } from './codec.js';
import { answerHeader, buildFrame, FrameError, FrameReader, parseFrame, swapTpdu } from './frame.js';
import { IsoFrontEnd } from './frontend.js';
import { IsoMetrics } from './metrics.js';

/** A running ISO 8583 listener. */
export interface IsoListener {
  port: number;
  metrics: IsoMetrics;
  /** Stops accepting, lets requests in flight be answered, then closes the connections (within `deadlineMs`). */
  close(deadlineMs?: number): Promise<void>;
}

/**
 * Starts the ISO 8583 listener of design §5b on `port` for `channel`: many requests in flight
 * per connection, each answered when ready (any order), TPDU swapped and header echoed; keep-alive
 * frames get no answer; a frame that cannot be parsed is logged without its content and the
 * connection closed; idle connections close after `isoIdleSeconds`.
 */
export async function startIsoListener(ctx: Context, core: TransactionCore, opts: { port: number; channel: string; host?: string }): Promise<IsoListener> {
  const metrics = new IsoMetrics(core.metrics.registry);
  const fe = new IsoFrontEnd(ctx, core, opts.channel);
  const sockets = new Set<net.Socket>();
  let inFlight = 0;
  let idle: (() => void) | null = null;
  const done = () => {
    inFlight--;
    if (inFlight === 0 && idle) idle();
  };

  const onFrame = (socket: net.Socket, payload: Buffer) => {
    const frame = parseFrame(payload);
    if (frame.keepAlive) return;
    const req = unpack(frame.body);
    const log = lazyChild(ctx.logger, { iso: { ...loggable(req), terminal: scrubPans((text(req, 41) ?? '').trim()), merchant: scrubPans((text(req, 42) ?? '').trim()) } });
    log.debug('ISO request');
    inFlight++;
    fe.handle(req, log).then((out) => {
      const code = out.answer ? text(out.answer, 39) ?? 'none' : 'none';
      metrics.request(req.mti, code);
      if (!out.answer) return;
      log.debug({ response_code: code }, 'ISO answer');
      if (!socket.destroyed) socket.write(buildFrame(swapTpdu(frame.tpdu), answerHeader(frame.header, out.requirement), pack(out.answer)));
    }).catch((err: unknown) => {
      metrics.request(req.mti, 'none');
      log.error({ err }, 'ISO request failed: no answer');
    }).finally(done);
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    metrics.connected();
    const reader = new FrameReader();
    socket.setNoDelay(true);
    socket.setTimeout(ctx.config.isoIdleSeconds * 1000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const payload of reader.push(chunk)) onFrame(socket, payload);
      } catch (err) {
        if (!(err instanceof FrameError || err instanceof IsoFormatError)) throw err;
        // The error names the part or field only, never its content (it may be card data).
        metrics.frameError();
        ctx.logger.warn({ remote: socket.remoteAddress, error: err.message }, 'ISO frame cannot be parsed: connection closed');
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      metrics.disconnected();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? ctx.config.host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  ctx.logger.info({ port, channel: opts.channel }, 'purse ISO 8583 listener listening');
  return {
    port,
    metrics,
    async close(deadlineMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
      const finished = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
      await Promise.race([finished, deadline]);
      for (const s of sockets) s.end();
      await Promise.race([new Promise<void>((r) => setTimeout(r, 200).unref()), closed]);
      for (const s of sockets) s.destroy();
      await Promise.race([closed, deadline]);
    },
  };
}
