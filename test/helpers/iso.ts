import { afterAll } from 'vitest';
import { daemonFixture, type DaemonFixture } from './daemon.js';
import type { TestContext } from './db.js';
import { setTerminalKey } from '../../src/iso/terminal-keys.js';
import { PosConnection, SimTerminal } from '../../src/iso/client.js';
import { text, type IsoMessage } from '../../src/iso/codec.js';

export const TMK = '70F2A84CCBC2AE8625CBB0F2C22AB923';

export interface IsoFixture extends DaemonFixture {
  port: number;
  /** A new connection to the ISO port (closed after the file's tests). */
  connect(): Promise<PosConnection>;
  /** A simulated terminal on `conn` (default: a new connection), TMK loaded, not yet signed on. */
  terminal(merchant?: string, code?: string, conn?: PosConnection): Promise<SimTerminal>;
}

/**
 * daemonFixture (M1/T1, channel CH) with the ISO 8583 listener on a free port for channel CH and
 * TMK `TMK` loaded for M1/T1 (and every terminal the `setup` adds that `keyed` names).
 */
export async function isoFixture(opts: Parameters<typeof daemonFixture>[0] & { keyed?: [string, string][] } = {}): Promise<IsoFixture> {
  const f = await daemonFixture({
    ...opts,
    setup: async (ctx: TestContext) => {
      ctx.config.isoPort = 0;
      ctx.config.isoChannel = 'CH';
      if (opts.setup) await opts.setup(ctx);
    },
  });
  for (const [m, t] of [['M1', 'T1'], ...(opts.keyed ?? [])] as [string, string][]) await setTerminalKey(f.ctx, { merchant: m, code: t, tmk: TMK });
  const port = f.daemon.iso!.port;
  const conns: PosConnection[] = [];
  afterAll(() => conns.forEach((c) => c.close()));
  const connect = async () => {
    const c = await PosConnection.connect('127.0.0.1', port);
    conns.push(c);
    return c;
  };
  const terminal = async (merchant = 'M1', code = 'T1', conn?: PosConnection) =>
    new SimTerminal(conn ?? (await connect()), merchant, code, Buffer.from(TMK, 'hex'));
  return { ...f, port, connect, terminal };
}

/** DE39 of an answer. */
export const code39 = (m: IsoMessage): string | undefined => text(m, 39);

/** The amount of DE54 (signed). */
export function de54Amount(m: IsoMessage): number | undefined {
  const v = text(m, 54);
  return v === undefined ? undefined : Number(v.slice(8)) * (v[7] === 'D' ? -1 : 1);
}
