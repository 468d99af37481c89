import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { BIN } from '../helpers/cli.js';

describe('purse serve --admin-port', () => {
  it('opens the management API and /metrics on their own listener; /metrics leaves the transaction port', async () => {
    const ctx = await testContext();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--admin-port', '0', '--no-scheduler'], { env: ctx.env, stdio: ['ignore', 'ignore', 'pipe'] });
    afterAll(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    const urls = await new Promise<{ daemon: string; admin: string }>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d;
        const daemon = /purse daemon listening on (\S+)/.exec(err);
        const admin = /purse admin API listening on (\S+)/.exec(err);
        if (daemon && admin) resolve({ daemon: daemon[1]!, admin: admin[1]! });
      });
      child.on('exit', (code) => reject(new Error(`purse serve exited ${code}: ${err}`)));
    });
    expect(urls.admin).toMatch(/\/admin\/v1$/);
    const spec = await fetch(`${urls.admin}/openapi.json`);
    expect([spec.status, ((await spec.json()) as { openapi: string }).openapi]).toEqual([200, '3.1.0']);
    expect((await fetch(`${urls.admin.replace(/\/admin\/v1$/, '')}/metrics`)).status).toBe(200);
    expect((await fetch(`${urls.daemon}/metrics`)).status).toBe(404);
    const anon = await fetch(`${urls.admin}/transactions`);
    expect([anon.status, anon.headers.get('content-type')]).toEqual([401, 'application/problem+json']);
    const { rows } = await ctx.db.pg.query("select fee_fixed, fee_bps from channels where code = 'WEB-SEAT'");
    expect(rows).toEqual([{ fee_fixed: 0, fee_bps: 0 }]);
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.on('exit', r))).toBe(0);
  });
});
