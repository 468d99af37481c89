import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { seedBasics } from '../helpers/seed.js';
import { BIN } from '../helpers/cli.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addChannel } from '../../src/registry/channels.js';
import { signBody } from '../../src/daemon/signature.js';

// `purse serve --tls-cert --tls-key` as a real child (system clock), with a throw-away self-signed certificate.
const ctx = await testContext({ now: new Date().toISOString() });
const seed = await seedBasics(ctx, 1);
await addMerchant(ctx, { code: 'M1' });
await addTerminal(ctx, { merchant: 'M1', code: 'T1' });
const channel = await addChannel(ctx, { code: 'CH', merchants: ['M1'] });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-tls-'));
const cert = path.join(dir, 'cert.pem');
const key = path.join(dir, 'key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
  '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
const children: ChildProcess[] = [];
afterAll(() => {
  children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** POSTs a signed message over HTTPS, trusting only the test certificate. */
function post(url: string, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const raw = JSON.stringify(body);
  const ts = String(Math.floor(Date.now() / 1000));
  return new Promise((resolve, reject) => {
    const req = https.request(new URL('/v1/transactions', url), {
      method: 'POST', ca: fs.readFileSync(cert),
      headers: { 'content-type': 'application/json', 'x-channel-id': 'CH', 'x-timestamp': ts, 'x-signature': signBody(channel.secret, ts, raw) },
    }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(raw);
  });
}

describe('purse serve over TLS', () => {
  it('serves HTTPS with --tls-cert/--tls-key and stops cleanly on SIGINT (exit 0)', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-scheduler', '--tls-cert', cert, '--tls-key', key], {
      env: { ...ctx.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d;
        const m = /listening on (\S+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      void exited.then((code) => reject(new Error(`purse serve exited ${code}: ${err}`)));
    });
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await post(url, { request_id: 'tls-1', type: 'balance', card: seed.pans[0], merchant: 'M1', terminal: 'T1' });
    expect(r).toMatchObject({ status: 200, body: { request_id: 'tls-1', approved: true, response_code: '00' } });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 120_000);

  it('refuses --tls-cert without --tls-key as a usage error (exit 2)', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--tls-cert', cert], { env: ctx.env, stdio: 'ignore' });
    children.push(child);
    expect(await new Promise((r) => child.on('exit', r))).toBe(2);
  }, 120_000);
});
