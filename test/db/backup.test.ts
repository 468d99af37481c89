import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { createEmptyDatabase } from '../helpers/empty-db.js';
import { runCli } from '../helpers/cli.js';
import { openContext } from '../../src/context.js';
import { createLogger } from '../../src/logger.js';
import { startDaemon } from '../../src/daemon/server.js';
import { signBody } from '../../src/daemon/signature.js';
import { migrate } from '../../src/db/migrate.js';
import { MIGRATION_SEEDED } from '../../src/db/snapshot.js';

// Issue 20 §8: `purse db backup` / `purse db restore`, with the key ring sealed under a passphrase.
const source = await testContext();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmp = (prefix: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, 0o755); // an embedded server's postgres user must reach a PURSE_HOME in it
  dirs.push(d);
  return d;
};
const PASS = 'correct horse battery staple\n';

async function rows(url: string, text: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}
/** What must be identical after a round trip: balances, postings, card tokens, the secrets' ciphertexts. */
const STATE = [
  'select card_id, asset, balance, held from card_accounts order by card_id, asset',
  'select account, asset, sum(amount)::text as total, count(*)::int as n from postings group by account, asset order by account, asset',
  "select id, encode(pan_token, 'hex') as token, status from cards order by id",
  "select code, encode(secret_cipher, 'hex') as secret from channels order by code",
];
const stateOf = async (url: string) => Promise.all(STATE.map((q) => rows(url, q)));

const demo = await runCli(['demo', '--json'], source.env);
expect(demo.code).toBe(0);
const demoSet = JSON.parse(demo.stdout) as { channel: { code: string; secret: string }; cards: { pan: string; balance: number }[]; merchants: { code: string; terminals: { code: string }[] }[] };

describe('purse db backup / restore', () => {
  const backupDir = path.join(tmp('purse-backup-'), 'b1');

  it('backs up a running database into a new directory, the key ring sealed under the passphrase', async () => {
    const r = await runCli(['db', 'backup', backupDir, '--json'], source.env, PASS);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { tables: number; rows: number; keys: boolean };
    expect(out.keys).toBe(true);
    expect(out.rows).toBeGreaterThan(10);
    const files = fs.readdirSync(backupDir);
    expect(files).toContain('manifest.json');
    expect(files).toContain('keys.enc');
    const keysJson = JSON.parse(source.env.PURSE_KEYS!) as { token: string };
    for (const f of files) {
      const text = fs.readFileSync(path.join(backupDir, f), 'utf8');
      expect(text.includes(keysJson.token)).toBe(false); // the key ring is never in clear
      for (const c of demoSet.cards) expect(text.includes(c.pan)).toBe(false);
      expect((fs.statSync(path.join(backupDir, f)).mode & 0o077)).toBe(0);
    }
    // A second backup into the same directory is refused, nothing overwritten.
    const again = await runCli(['db', 'backup', backupDir], source.env, PASS);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not empty/);
  });

  it('restores into a fresh PURSE_HOME and embedded database: verifies identically and authorizes by card number', async () => {
    const home = tmp('purse-restore-home-');
    const env: NodeJS.ProcessEnv = { ...process.env, PURSE_HOME: home, LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    delete env.PURSE_KEYS;
    const wrong = await runCli(['db', 'restore', backupDir], env, 'not the passphrase\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/wrong passphrase/);
    expect(fs.existsSync(path.join(home, 'keys.json'))).toBe(false);

    const r = await runCli(['db', 'restore', backupDir, '--json'], env, PASS);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ keys: 'restored' });
    expect(fs.statSync(path.join(home, 'keys.json')).mode & 0o777).toBe(0o600);
    const verify = await runCli(['ledger', 'verify'], env);
    expect(verify.code).toBe(0);

    const ctx = await openContext({ env: { ...env, PURSE_PORT: '0' }, logger: createLogger('silent'), longRunning: true });
    try {
      expect(await stateOf(ctx.db.url)).toEqual(await stateOf(source.url));
      const daemon = await startDaemon(ctx);
      try {
        const card = demoSet.cards[0]!;
        const m = demoSet.merchants[0]!;
        const raw = JSON.stringify({ request_id: 'after-restore', type: 'balance', card: card.pan, merchant: m.code, terminal: m.terminals[0]!.code });
        const ts = String(Math.floor(Date.now() / 1000));
        const res = await fetch(`${daemon.url}/v1/transactions`, {
          method: 'POST', body: raw,
          headers: { 'x-channel-id': demoSet.channel.code, 'x-timestamp': ts, 'x-signature': signBody(demoSet.channel.secret, ts, raw) },
        });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ approved: true, response_code: '00', balance: { available: card.balance } });
      } finally {
        await daemon.close(2000);
      }
    } finally {
      await ctx.close();
    }
  });

  it('--no-keys leaves the key ring out; a DATABASE_URL restore then takes the keys from PURSE_KEYS and refuses a database holding data', async () => {
    const dir = path.join(tmp('purse-backup-'), 'b2');
    const b = await runCli(['db', 'backup', dir, '--no-keys'], source.env);
    expect(b.code).toBe(0);
    expect(fs.readdirSync(dir)).not.toContain('keys.enc');
    const target = await createEmptyDatabase();
    const env = { ...source.env, DATABASE_URL: target, PURSE_HOME: tmp('purse-restore-home-') };
    const r = await runCli(['db', 'restore', dir], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await stateOf(target)).toEqual(await stateOf(source.url));
    // A second restore into the same (now full) database changes nothing.
    const before = await stateOf(target);
    const again = await runCli(['db', 'restore', dir], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds data/);
    expect(await stateOf(target)).toEqual(before);
    // Other keys than the backup's are refused.
    const other = await runCli(['db', 'restore', dir], { ...env, DATABASE_URL: await createEmptyDatabase(), PURSE_KEYS: JSON.stringify({ ...JSON.parse(source.env.PURSE_KEYS!), token: Buffer.alloc(32, 7).toString('base64') }) });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/another key ring/);
  });

  it('refuses a backup whose table file was altered, before loading anything', async () => {
    const dir = path.join(tmp('purse-backup-'), 'b3');
    expect((await runCli(['db', 'backup', dir, '--no-keys'], source.env)).code).toBe(0);
    const file = fs.readdirSync(dir).find((f) => f.endsWith('_cards.copy'))!;
    fs.appendFileSync(path.join(dir, file), 'x');
    const target = await createEmptyDatabase();
    const r = await runCli(['db', 'restore', dir], { ...source.env, DATABASE_URL: target });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not match its SHA-256/);
    expect(await rows(target, "select count(*)::int as n from information_schema.tables where table_name = 'cards'")).toEqual([{ n: 0 }]);
  });

  it('knows every table a new database already holds rows in (reference data the migrations insert)', async () => {
    const url = await createEmptyDatabase();
    await migrate(url);
    const tables = (await rows(url, `select table_name as t from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name <> 'schema_migrations' order by 1`)) as { t: string }[];
    const seeded: string[] = [];
    for (const { t } of tables) if ((await rows(url, `select 1 from "${t}" limit 1`)).length > 0) seeded.push(t);
    expect(seeded).toEqual([...MIGRATION_SEEDED].sort());
  });
});
