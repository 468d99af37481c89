// Scenarios beside the real traffic: two daemons against one database, and purchases while the CLI
// applies a load file.
import path from 'node:path';
import pg from 'pg';
import { fmt } from '../machine.js';
import { report } from '../harness.js';
import { startDaemon, stopProcess } from './processes.js';
import { closedLoop, describeClosed, type Bench, type Closed } from './measure.js';
import { loadWithCli } from './world.js';

/** Two `purse serve` processes (connections round robin, as behind a TCP balancer), the second started for this. */
export async function twoDaemons(b: Bench, pans: readonly string[], seconds: number): Promise<{ closed: Closed; exit: number | null }> {
  const second = await startDaemon(b, path.join(b.home, 'daemon-2.log'));
  try {
    console.error(`auth: two daemons, closed loop ${seconds} s…`);
    const closed = await closedLoop(b, { name: 'two', pans, seconds, daemons: [b.daemon, second] });
    report('two daemons against one database', { 'both daemons': describeClosed(closed, b.connections) });
    return { closed, exit: await stopProcess(second.child) };
  } finally {
    await stopProcess(second.child);
  }
}

async function deadlocks(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows: [r] } = await c.query<{ n: string }>('select deadlocks::text as n from pg_stat_database where datname = current_database()');
    return Number(r!.n);
  } finally {
    await c.end();
  }
}

export interface WhileLoad {
  closed: Closed;
  /** Approved purchases per second while `purse cards load` ran (spawn to exit), and outside that window in the same loop. */
  during: number;
  without: number;
  loadSeconds: number;
  amount: number;
  /** Rows of the load file, and the load's CPU seconds: the `purse` process, and its backends (null: not readable from here). */
  rows: number;
  cpu: { cli: number; backends: number | null };
}

/**
 * One closed loop of `seconds`; a third of the way in, `purse cards load` of one row of 100 fen
 * per card of `loadPans` starts. The loop's approved answers per 100 ms are split into those
 * while the command ran and those before and after it.
 */
export async function purchasesWhileLoading(b: Bench, pans: readonly string[], loadPans: readonly string[], seconds: number): Promise<WhileLoad> {
  console.error(`auth: closed loop ${seconds} s with a ${loadPans.length}-row load file applied by the CLI from ${fmt(seconds / 3)} s…`);
  let load: ReturnType<typeof loadWithCli> | undefined;
  const deadlocks0 = await deadlocks(b.url);
  const closed = await closedLoop(b, {
    name: 'load', pans, seconds,
    onStart: () => setTimeout(() => {
      load = loadWithCli(b, loadPans, 100, `during-${Date.now()}`);
      load.catch(() => undefined); // awaited below
    }, (seconds * 1000) / 3),
  });
  if (!load) throw new Error('the load file was not started within the loop');
  const applied = await load;
  const deadlocks1 = await deadlocks(b.url);
  const ticks = closed.result.ticks!;
  const origin = closed.result.startedAt!;
  let inSum = 0;
  let inN = 0;
  let outSum = 0;
  let outN = 0;
  let stall = 0;
  let longestStall = 0;
  for (let i = 0; i < Math.floor(seconds * 10); i++) {
    const mid = origin + 100 * i + 50;
    if (mid >= applied.from && mid < applied.to) {
      inSum += ticks[i]!;
      inN++;
      stall = ticks[i] === 0 ? stall + 1 : 0;
      longestStall = Math.max(longestStall, stall);
    } else {
      outSum += ticks[i]!;
      outN++;
    }
  }
  const during = inSum / Math.max(0.1, inN / 10);
  const without = outSum / Math.max(0.1, outN / 10);
  const overlap = inN / 10;
  const cpu = applied.cpu;
  const cpuTotal = cpu.cli + (cpu.backends ?? 0);
  const rows = `${fmt(loadPans.length)} rows, the command's start-up included`;
  report('purchases while a load file is applied', {
    'closed loop': describeClosed(closed, b.connections),
    'purse cards load': `${loadPans.length} rows, ${fmt(applied.seconds, 1)} s from spawn to exit (${fmt(overlap, 1)} s of it inside the loop)`,
    'approved purchases per second': `${fmt(during)} while it ran, ${fmt(without)} before and after it in the same loop: ratio ${fmt(during / without, 2)}`,
    // A stretch with no purchase answered is purchases waiting on the load's row locks; a lower
    // but steady rate is the load's CPU taken from the daemon and the server.
    'longest stretch without an approved purchase while it ran': `${fmt(longestStall / 10, 1)} s; deadlocks in the database during the loop: ${deadlocks1 - deadlocks0}`,
    // What the load takes from the daemon on a full machine; unlike the ratio, comparable across runs.
    'CPU of the load': cpu.backends === null
      ? `${fmt(cpu.cli, 2)} s in the purse process (its backends not readable from here); ${rows}`
      : `${fmt(cpuTotal, 2)} s: ${fmt(cpu.cli, 2)} s in the purse process (start-up included) + ${fmt(cpu.backends, 2)} s in its PostgreSQL backends; ${fmt((cpuTotal * 1e6) / loadPans.length)} µs per row (${rows})`,
  });
  return { closed, during, without, loadSeconds: applied.seconds, amount: applied.amount, rows: loadPans.length, cpu };
}
