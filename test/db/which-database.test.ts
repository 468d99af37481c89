import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';

// Issue 20 §7: which database am I using? A read-only command never creates one.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-which-'));
fs.chmodSync(home, 0o755);
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
const env: NodeJS.ProcessEnv = { ...process.env, PURSE_HOME: home };
delete env.DATABASE_URL;
delete env.PURSE_KEYS;
delete env.LOG_LEVEL;

describe('PURSE_HOME without a database', () => {
  it('a read-only command refuses, naming the home, and creates nothing (no database, no keys)', async () => {
    for (const args of [['issuer', 'list'], ['db', 'status'], ['channel', 'show', 'X'], ['ledger', 'verify'], ['db', 'backup', path.join(home, 'b')]]) {
      const r = await runCli(args, env, 'pass\n');
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`no Purse database in ${home}`);
      expect(r.stdout).toBe('');
    }
    expect(fs.readdirSync(home)).toEqual([]);
  }, 120_000);

  it('a command that writes creates it, and says so on stderr', async () => {
    const r = await runCli(['issuer', 'add', '--code', 'FIRST', '--name', 'First'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`creating a new Purse database in ${path.join(home, 'pg')}`);
    const again = await runCli(['issuer', 'list'], env);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('creating');
    expect(again.stdout).toContain('FIRST');
  }, 120_000);

  it('purse db status names the server and the home', async () => {
    const r = await runCli(['db', 'status'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`server: embedded PostgreSQL in ${home}/pg`);
    expect(r.stdout).toContain(`home:   ${home}`);
  }, 120_000);
});

describe('DATABASE_URL', () => {
  it('purse db status names the server without its password; --json stays the list of migrations', async () => {
    const ctx = await testContext();
    const url = new URL(ctx.url);
    const r = await runCli(['db', 'status'], ctx.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`server: DATABASE_URL postgres://${url.username}:***@${url.host}${url.pathname}`);
    if (url.password) expect(r.stdout).not.toContain(decodeURIComponent(url.password));
    const json = await runCli(['db', 'status', '--json'], ctx.env);
    expect(Array.isArray(JSON.parse(json.stdout))).toBe(true);
  });
});
