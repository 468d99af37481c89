// ISO 8583 benchmark (issue 19; 5,000 cards issued and loaded with the CLI): approved ISO purchases per second over 8 connections (8 terminals,
// one request in flight each) against signed HTTP purchases over 8 concurrent clients, in the same
// run against the same `purse serve` process (durable commits). Target: ISO ≥ 1.0× HTTP.
//
//   npm run bench iso                  4 phases × 20 s (HTTP, ISO, HTTP, ISO)
//   BENCH_SCALE=0.25 npm run bench iso shorter phases
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchDatabase, report } from './harness.js';
import { stopProcess } from './scenarios/processes.js';
import { issueWithCli, loadWithCli, registry } from './scenarios/world.js';
import { openContext } from '../../src/context.js';
import { createLogger } from '../../src/logger.js';
import { generateKeyringJson } from '../../src/cards/keys.js';
import { addTerminal } from '../../src/registry/merchants.js';
import { setTerminalKey } from '../../src/iso/terminal-keys.js';
import { sendTransaction } from '../../src/daemon/client.js';
import { PosConnection, SimTerminal } from '../../src/iso/client.js';
import { text } from '../../src/iso/codec.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCALE = Math.min(1, Math.max(0.05, Number(process.env.BENCH_SCALE ?? 1) || 1));
const SECONDS = Math.max(3, Math.round(20 * SCALE));
const CONNECTIONS = 8;
const CARDS = 5_000;
const TMK = '70F2A84CCBC2AE8625CBB0F2C22AB923';

/** Closed loop: `workers` loops call `one` until the time is up; returns approvals per second. */
async function closedLoop(workers: number, one: (worker: number, n: number) => Promise<boolean>): Promise<number> {
  const end = Date.now() + SECONDS * 1000;
  let approved = 0;
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    for (let n = 0; Date.now() < end; n++) if (await one(w, n)) approved++;
  }));
  return approved / SECONDS;
}

export async function run(): Promise<void> {
  const db = await benchDatabase('bench_iso');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-bench-iso-'));
  const keysJson = generateKeyringJson();
  const env = { DATABASE_URL: db.url, PURSE_KEYS: keysJson, PURSE_HOME: home };
  const purseEnv = { url: db.url, keysJson, home };
  const acquirer = await registry(purseEnv);
  const { pans } = await issueWithCli(purseEnv, CARDS, 'bench-iso', true);
  await loadWithCli(purseEnv, pans, 100_000, 'bench-iso-load');
  const s = { ...acquirer, pans };
  const ctx = await openContext({ env, logger: createLogger('warn'), migrate: false });
  const terminals = Array.from({ length: CONNECTIONS }, (_, i) => `ISO-T${i + 1}`);
  for (const t of terminals) {
    await addTerminal(ctx, { merchant: s.merchant, code: t });
    await setTerminalKey(ctx, { merchant: s.merchant, code: t, tmk: TMK });
  }
  await ctx.close();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/purse'), 'serve', '--port', '0', '--iso-port', '0', '--iso-channel', s.channel, '--no-scheduler'], {
    cwd: ROOT, env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  const { url, isoPort } = await new Promise<{ url: string; isoPort: number }>((resolve, reject) => {
    let url = '';
    let isoPort = 0;
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      url ||= /purse daemon listening on (\S+)/.exec(line)?.[1] ?? '';
      if (line.includes('ISO 8583 listener listening')) isoPort = (JSON.parse(line) as { port: number }).port;
      if (url && isoPort) resolve({ url, isoPort });
    });
    child.once('exit', (code) => reject(new Error(`purse serve exited with ${code}`)));
  });
  let card = 0;
  const nextPan = () => s.pans[card++ % s.pans.length]!;
  try {
    const sims = await Promise.all(terminals.map(async (t) => new SimTerminal(await PosConnection.connect('127.0.0.1', isoPort), s.merchant, t, Buffer.from(TMK, 'hex'))));
    await Promise.all(sims.map((t) => t.signOn()));
    // Alternating phases (HTTP, ISO, HTTP, ISO): the shared machine's load drifts during a run.
    const http: number[] = [];
    const iso: number[] = [];
    for (let round = 0; round < 2; round++) {
      http.push(await closedLoop(CONNECTIONS, async (w, n) => {
        const r = await sendTransaction({ url, channel: s.channel, secret: s.secret, body: { request_id: `h-${round}-${w}-${n}`, type: 'purchase', card: nextPan(), amount: 1, merchant: s.merchant, terminal: s.terminal } });
        return (r.body as { response_code?: string }).response_code === '00';
      }));
      iso.push(await closedLoop(CONNECTIONS, async (w) => {
        const t = sims[w]!;
        return text(await t.send(t.request('purchase', { card: nextPan(), amount: 1 })), 39) === '00';
      }));
    }
    sims.forEach((t) => t.conn.close());
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    report('ISO 8583 purchases vs HTTP (8 connections, closed loop, one purse serve)', {
      'HTTP approved purchases/s (per phase)': http.map((x) => x.toFixed(0)).join(', '),
      'ISO approved purchases/s (per phase)': iso.map((x) => x.toFixed(0)).join(', '),
      'ISO / HTTP (means)': `${(mean(iso) / mean(http)).toFixed(2)}× (target ≥ 1.0×)`,
      'seconds per phase': SECONDS,
    });
  } finally {
    await stopProcess(child);
    fs.rmSync(home, { recursive: true, force: true });
    await db.stop();
  }
}
