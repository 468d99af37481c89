import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { BIN, outputOf, runCli, type CliResult } from '../helpers/cli.js';
import { pansIn } from '../helpers/daemon-extra.js';
import { luhnValid } from '../../src/cards/luhn.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ctx = await testContext({ now: new Date().toISOString() });
const env = { ...ctx.env, LOG_LEVEL: 'info' };

const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

/** Starts `purse serve --port 0 --no-scheduler …`; resolves with its URL and stderr once it printed `until`. */
function startServe(extra: string[], until: RegExp): Promise<{ child: ChildProcess; url: string; stderr: () => string; exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-scheduler', ...extra], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let err = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
      const url = /listening on (\S+)/.exec(err);
      if (url && until.test(err)) resolve({ child, url: url[1]!, stderr: () => err, exited });
    });
    void exited.then((code) => reject(new Error(`purse serve exited ${code}: ${err}`)));
  });
}

/** Runs a shell command line as a user would paste it, from the repository root. */
function sh(command: string): Promise<CliResult> {
  return outputOf(spawn('sh', ['-c', command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Several CLI processes start in these tests; each takes seconds on a busy 2-core machine. */
const CHILD_TIMEOUT = 180_000;
const keys = (o: object) => Object.keys(o).sort();

describe('first contact', () => {
  it('npm start builds and runs `node bin/purse serve --demo` with the ISO 8583 listener on 5000 for the demo channel', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toMatch(/(^|&& )node bin\/purse serve --demo --admin-port 8081 --iso-port 5000 --iso-channel DEMO-POS$/); // design §10 and §5b: npm start opens the admin and ISO listeners
  });

  let demo: Record<string, unknown>;
  it('purse demo --json prints exactly the documented keys, with usable test cards', async () => {
    const r = await runCli(['demo', '--json'], env);
    expect(r.code).toBe(0);
    demo = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(keys(demo)).toEqual(['cards', 'channel', 'games', 'merchants', 'programs', 'schemes']);
    const d = demo as unknown as {
      channel: object; merchants: { terminals: object[] }[]; programs: object[]; schemes: object[]; games: object[];
      cards: { pan: string; program: string; balance: number }[];
    };
    expect(keys(d.channel)).toEqual(['code', 'secret']);
    for (const m of d.merchants) {
      expect(keys(m)).toEqual(['code', 'name', 'terminals']);
      expect(m.terminals.length).toBeGreaterThan(0);
      for (const t of m.terminals) expect(keys(t)).toEqual(['code', 'tmk']); // design §5b: demo terminal master keys
    }
    for (const p of d.programs) expect(keys(p)).toEqual(['code', 'kind']);
    for (const s of d.schemes) expect(keys(s)).toEqual(['code']);
    for (const g of d.games) expect(keys(g)).toEqual(['code']);
    expect(d.cards.length).toBeGreaterThan(0);
    for (const c of d.cards) {
      expect(keys(c)).toEqual(['balance', 'pan', 'program']);
      expect(c.pan).toMatch(/^\d{13,19}$/);
      expect(luhnValid(c.pan)).toBe(true);
      expect(Number.isSafeInteger(c.balance)).toBe(true);
    }
    for (const list of [d.merchants, d.programs, d.schemes, d.games]) expect(list.length).toBeGreaterThan(0);
  });

  it('purse demo is idempotent: a second run creates nothing and prints the same set-up', async () => {
    const count = async () => (await ctx.db.pg.query(`select (select count(*) from cards)::int as cards, (select count(*) from channels)::int as channels,
      (select count(*) from merchants)::int as merchants, (select count(*) from entries)::int as entries`)).rows[0];
    const before = await count();
    const r = await runCli(['demo', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(demo);
    expect(await count()).toEqual(before);
  });

  it('purse serve --demo prints a ready-to-paste purse send command that gets an approved balance inquiry', async () => {
    const serve = await startServe(['--demo'], /--terminal \S+\n/);
    const text = serve.stderr();
    const start = text.indexOf('node bin/purse send');
    expect(start).toBeGreaterThan(0);
    const command = text.slice(start, text.indexOf('\n', text.indexOf('--terminal', start)));
    expect(command).toContain(serve.url);
    const r = await sh(command);
    expect(r.code).toBe(0);
    const d = demo as { cards: { balance: number }[] };
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'balance', approved: true, response_code: '00', balance: { available: d.cards[0]!.balance } });
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(pansIn([serve.stderr()])).toEqual([]); // JSON log lines only: the help text shows the demo PANs on purpose
  }, CHILD_TIMEOUT);

  it('purse serve --demo --iso-port prints a ready-to-paste purse pos purchase that is approved over ISO 8583', async () => {
    const serve = await startServe(['--demo', '--iso-port', '0', '--iso-channel', 'DEMO-POS'], /--amount \d+\n/);
    const text = serve.stderr();
    const start = text.indexOf('echo ');
    expect(start).toBeGreaterThan(0);
    const command = text.slice(start, text.indexOf('\n', text.indexOf('--amount', start)));
    expect(command).toMatch(/^echo [0-9A-F]{32} \| node bin\/purse pos --host 127\.0\.0\.1 --port \d+ /);
    const r = await sh(command);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^purchase: 0210 DE39 00/m);
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(pansIn([serve.stderr().slice(0, start)])).toEqual([]);
  }, CHILD_TIMEOUT);

  it('purse send signs a message and prints the daemon\'s answer; a non-200 answer exits 1', async () => {
    const serve = await startServe([], /listening/);
    const d = demo as { channel: { code: string; secret: string }; merchants: { code: string; terminals: { code: string }[] }[]; cards: { pan: string; balance: number }[] };
    const m = d.merchants[0]!;
    const args = ['send', '--url', serve.url, '--channel', d.channel.code, '--type', 'balance', '--card', d.cards[1]!.pan, '--merchant', m.code, '--terminal', m.terminals[0]!.code];
    const ok = await runCli([...args, '--secret', d.channel.secret, '--request-id', 'fc-1'], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ request_id: 'fc-1', approved: true, response_code: '00', balance: { available: d.cards[1]!.balance } });
    const viaEnv = await runCli(args, { ...env, PURSE_CHANNEL_SECRET: d.channel.secret });
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ approved: true, response_code: '00' });
    const bad = await runCli([...args, '--secret', 'wrong'], env);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: 'unauthorized' } });
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
    // The daemon is gone now: a temporary failure (exit 75), not a crash.
    const down = await runCli([...args, '--secret', d.channel.secret], env);
    expect(down.code).toBe(75);
    expect(down.stderr).toMatch(/cannot reach the daemon/);
  }, CHILD_TIMEOUT);
});
