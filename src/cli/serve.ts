import type { Command } from 'commander';
import { openContext } from '../context.js';
import { startDaemon } from '../daemon/server.js';
import { ensureDemo } from '../demo.js';
import { firstContactHelp } from './demo.js';
import { UsageError } from '../errors.js';

/**
 * Runs the daemon until SIGINT/SIGTERM, then drains: stops accepting, finishes in-flight
 * requests (10 s deadline), closes the pools and an embedded database it started.
 */
export async function serve(opts: { host?: string; port?: string; demo?: boolean }): Promise<void> {
  const port = opts.port === undefined ? undefined : Number(opts.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError('--port must be 0-65535');
  const ctx = await openContext({ overrides: { host: opts.host, port } });
  const daemon = await startDaemon(ctx);
  if (opts.demo) {
    const demo = await ensureDemo(ctx);
    for (const line of firstContactHelp(demo, daemon.url)) process.stderr.write(`${line}\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      ctx.logger.info({ signal }, 'shutting down');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await daemon.close();
  await ctx.close();
  ctx.logger.info('stopped');
}

export function register(program: Command): void {
  program.command('serve').description('run the authorization daemon (and scheduler)')
    .option('--host <host>', 'listen address (default 127.0.0.1)')
    .option('--port <port>', 'listen port (default 8080)')
    .option('--demo', 'create the demo set-up and print how to send a first transaction')
    .action((o) => serve(o));
}
