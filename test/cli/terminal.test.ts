import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createEmptyDatabase } from '../helpers/empty-db.js';
import { testContext } from '../helpers/db.js';
import { BIN, outputOf, runCli } from '../helpers/cli.js';
import { addChannel } from '../../src/registry/channels.js';

// Issue 20 §9 (the terminal) and §5 (`purse demo` on a production database).
const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('the terminal', () => {
  it('purse --version prints the version', async () => {
    const r = await runCli(['--version'], process.env);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('CLI commands log at warn by default: no info lines interleaved with their output', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: await createEmptyDatabase() };
    delete env.LOG_LEVEL;
    const r = await runCli(['db', 'migrate'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^applied /);
    expect(r.stderr).toBe('');
  });

  it('logs are JSON lines when stderr is not a terminal, readable lines when it is', async () => {
    const piped = await runCli(['db', 'migrate'], { ...process.env, DATABASE_URL: await createEmptyDatabase(), LOG_LEVEL: 'info' });
    expect(piped.stderr.split('\n')[0]).toMatch(/^\{"level":30,.*"msg":"migration applied"/);
    // `script` gives the command a pseudo-terminal.
    const url = await createEmptyDatabase();
    const child = spawn('script', ['-qec', `${process.execPath} ${BIN} db migrate`, '/dev/null'], {
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tty = await outputOf(child);
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(/INFO.*migration applied/);
    expect(tty.stdout).not.toContain('{"level"');
  });
});

describe('purse demo', () => {
  it('refuses a database holding non-demo channels unless --force; built-in channels do not count', async () => {
    const ctx = await testContext();
    await addChannel(ctx, { code: 'WEB-SEAT' });
    const builtIn = await runCli(['demo', '--json'], ctx.env);
    expect(builtIn.code).toBe(0);
    await addChannel(ctx, { code: 'ACME-POS' });
    const refused = await runCli(['demo'], ctx.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/non-demo channels \(ACME-POS\).*--force/);
    const forced = await runCli(['demo', '--json', '--force'], ctx.env);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ channel: { code: 'DEMO-POS' } });
  });

  it('on a production database nothing is added by the refused run', async () => {
    const ctx = await testContext();
    await addChannel(ctx, { code: 'ACME-POS' });
    expect((await runCli(['demo'], ctx.env)).code).toBe(1);
    const { rows } = await ctx.db.pg.query(`select count(*)::int as n from issuers where code like 'DEMO-%'`);
    expect(rows[0].n).toBe(0);
  });
});
