// What the authorization bench sets up as an operator would: the registry first, then (with the
// daemon already running) cards issued and loaded with the CLI.
import fs from 'node:fs';
import path from 'node:path';
import { openContext } from '../../../src/context.js';
import { createLogger } from '../../../src/logger.js';
import { addIssuer } from '../../../src/registry/issuers.js';
import { addProgram } from '../../../src/registry/programs.js';
import { addMerchant, addTerminal } from '../../../src/registry/merchants.js';
import { addChannel } from '../../../src/registry/channels.js';
import { writeLines } from '../batch-tools.js';
import { purseCli, type PurseEnv } from './processes.js';
import { LOAD_CONNECTIONS, sampleBackendCpu } from '../backend-cpu.js';

export const PROGRAM = 'BENCH-SV';

/** The acquiring side the load generator signs for. */
export interface Acquirer { channel: string; secret: string; merchant: string; terminal: string }

/** Issuer, stored-value program (cards active on issue), merchant with a terminal, and a channel. */
export async function registry(env: PurseEnv): Promise<Acquirer> {
  const ctx = await openContext({ env: { DATABASE_URL: env.url, PURSE_KEYS: env.keysJson, PURSE_HOME: env.home }, logger: createLogger('warn'), migrate: false });
  try {
    await addIssuer(ctx, { code: 'BENCH-ISS', name: 'Bench issuer' });
    await addProgram(ctx, { code: PROGRAM, issuer: 'BENCH-ISS', bin: '622999', activateOnIssue: true });
    await addMerchant(ctx, { code: 'BENCH-M', name: 'Bench merchant', commissionBps: 150 });
    await addTerminal(ctx, { merchant: 'BENCH-M', code: 'BENCH-T' });
    const channel = await addChannel(ctx, { code: 'BENCH-CH', merchants: ['BENCH-M'], feeFixed: 1, feeBps: 10 });
    return { channel: channel.code, secret: channel.secret, merchant: 'BENCH-M', terminal: 'BENCH-T' };
  } finally {
    await ctx.close();
  }
}

/** `purse cards issue` of `count` cards; their PANs (read from the personalization file, then deleted) when `pans`. */
export async function issueWithCli(env: PurseEnv, count: number, batch: string, pans: boolean): Promise<{ pans: string[]; seconds: number }> {
  const out = path.join(env.home, `${batch}.csv`);
  const run = await purseCli<{ count: number }>(env, ['cards', 'issue', '--program', PROGRAM, '--count', String(count), '--batch', batch, '--out', out]);
  if (run.out.count !== count) throw new Error(`purse cards issue issued ${run.out.count} cards, not ${count}`);
  const list = pans ? fs.readFileSync(out, 'utf8').split('\n').slice(1, -2).map((l) => l.slice(0, l.indexOf(','))) : [];
  fs.rmSync(out);
  return { pans: list, seconds: run.seconds };
}

/** What `loadWithCli` measured: the amount loaded, when the command ran (epoch ms), and its CPU seconds. */
export interface CliLoad {
  amount: number; from: number; to: number; seconds: number;
  /** CPU seconds of the `purse` process, and of the backends it opened (null: the server's processes are not readable from here). */
  cpu: { cli: number; backends: number | null };
}

/** `purse cards load` of one row of `amount` per card of `pans` (references `<prefix>-<i>`), checked to apply every row. */
export async function loadWithCli(env: PurseEnv, pans: readonly string[], amount: number, prefix: string): Promise<CliLoad> {
  const file = path.join(env.home, `${prefix}.csv`);
  const n = pans.length;
  await writeLines(file, n + 2, (i) => {
    if (i === 0) return 'card,amount,reference\n';
    if (i === n + 1) return `TRAILER,${n},${n * amount}\n`;
    return `${pans[i - 1]},${amount},${prefix}-${i}\n`;
  });
  const backends = await sampleBackendCpu(env.url, LOAD_CONNECTIONS);
  let backendSeconds: number | null;
  let run: Awaited<ReturnType<typeof purseCli<{ applied: { count: number; amount: number } }>>>;
  try {
    run = await purseCli<{ applied: { count: number; amount: number } }>(env, ['cards', 'load', file]);
  } finally {
    backendSeconds = await backends.stop();
  }
  fs.rmSync(file);
  fs.rmSync(`${file}.rejects.csv`, { force: true });
  if (run.out.applied.count !== n) throw new Error(`purse cards load applied ${run.out.applied.count} of ${n} rows`);
  return { amount: run.out.applied.amount, from: run.from, to: run.to, seconds: run.seconds, cpu: { cli: run.cpu, backends: backendSeconds } };
}

/** `k` distinct elements of `xs`, at random. */
export function sample<T>(xs: readonly T[], k: number): T[] {
  const out = [...xs];
  for (let i = 0; i < Math.min(k, out.length); i++) {
    const j = i + Math.floor(Math.random() * (out.length - i));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out.slice(0, k);
}
