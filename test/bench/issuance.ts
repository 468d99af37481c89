// Bulk issuance (design §7): `purse cards issue` of 1,000,000 cards (cards, value accounts,
// personalization file) against a raw COPY of the same card and account rows into the same tables
// (same columns, indexes and constraints), both measured in this run on the same server.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { benchDatabase, report } from './harness.js';
import { benchScale, copyFile, fmt, timePurse, writeLines } from './batch-tools.js';
import { generateKeyringJson } from '../../src/cards/keys.js';
import { CARDS_COPY } from '../../src/cards/issue-chunk.js';

/** Registers issuer BENCH-ISS and program `code` (BIN `bin`); returns the program id. */
export async function benchProgram(db: pg.ClientBase, code: string, bin: string, opts: { active?: boolean; maxBalance?: number } = {}): Promise<number> {
  await db.query(`insert into issuers (code, name) values ('BENCH-ISS', 'Bench issuer') on conflict do nothing`);
  const { rows: [p] } = await db.query<{ id: number }>(`
    insert into programs (code, issuer_id, name, kind, bin, max_balance, validity_months, activate_on_issue)
    values ($1, (select id from issuers where code = 'BENCH-ISS'), $1, 'stored_value', $2, $3, 36, $4) returning id`,
  [code, bin, opts.maxBalance ?? 100_000, opts.active ?? false]);
  return Number(p!.id);
}

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

/** Raw COPY of `n` cards shaped like issuance's (token, last 4, AES-GCM-sized cipher) and their accounts. */
async function copyBaseline(n: number, work: string): Promise<number> {
  const db = await benchDatabase('bench_issue_copy');
  const c = await connect(db.url);
  try {
    const programId = await benchProgram(c, 'BENCH', '622000');
    const { rows: [b] } = await c.query<{ id: number }>(`insert into card_batches (program_id, reference, card_count) values ($1, 'COPY', $2) returning id`, [programId, n]);
    const cardsFile = path.join(work, 'cards.tsv');
    const accountsFile = path.join(work, 'accounts.tsv');
    const issuedAt = new Date().toISOString();
    const BLOCK = 10_000;
    let random = Buffer.alloc(0);
    await writeLines(cardsFile, n, (i) => {
      if (i % BLOCK === 0) random = crypto.randomBytes(BLOCK * 76);
      const r = (i % BLOCK) * 76;
      const token = random.toString('hex', r, r + 32);
      const cipher = random.toString('hex', r + 32, r + 76); // 12 IV + 16 tag + 16 digits
      const last4 = String(i % 10_000).padStart(4, '0');
      return `${i + 1}\t${programId}\t\\\\x${token}\t${last4}\t\\\\x${cipher}\tk1\tissued\t2029-11-30\t${b!.id}\t${issuedAt}\t\\N\n`;
    });
    await writeLines(accountsFile, n, (i) => `${i + 1}\tCNY\n`);
    await c.query('checkpoint').catch(() => undefined);
    const started = performance.now();
    await c.query('begin');
    await copyFile(c, CARDS_COPY, cardsFile);
    await copyFile(c, 'copy card_accounts (card_id, asset) from stdin', accountsFile);
    await c.query('commit');
    const seconds = (performance.now() - started) / 1000;
    fs.rmSync(cardsFile);
    fs.rmSync(accountsFile);
    return seconds;
  } finally {
    await c.end();
  }
}

export async function run(): Promise<void> {
  const scale = benchScale();
  const n = Math.round(1_000_000 * scale);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-bench-issue-'));
  try {
    const copySeconds = await copyBaseline(n, work);

    const db = await benchDatabase('bench_issue');
    const c = await connect(db.url);
    await benchProgram(c, 'BENCH', '622000');
    await c.query('checkpoint').catch(() => undefined);
    const env = { ...process.env, DATABASE_URL: db.url, PURSE_KEYS: generateKeyringJson(), LOG_LEVEL: 'warn' };
    const out = path.join(work, 'personalization.csv');
    const issue = await timePurse(['cards', 'issue', '--program', 'BENCH', '--count', String(n), '--batch', 'B1', '--out', out], env);
    const { rows: [made] } = await c.query<{ cards: number; accounts: number }>(
      'select (select count(*) from cards)::int as cards, (select count(*) from card_accounts)::int as accounts');
    await c.end();
    const lines = await countLines(out);
    if (made!.cards !== n || made!.accounts !== n || lines !== n + 2) {
      throw new Error(`issuance bench: expected ${n} cards, accounts and file rows; found ${made!.cards}, ${made!.accounts}, ${lines - 2}`);
    }
    const copyRate = n / copySeconds;
    const issueRate = n / issue.seconds;
    const ratio = issueRate / copyRate;
    report(`bulk issuance, ${fmt(n)} cards (BENCH_SCALE=${scale})`, {
      'raw COPY of the card + account rows': `${copySeconds.toFixed(1)} s, ${fmt(copyRate)} cards/s`,
      'purse cards issue (child process, file included)': `${issue.seconds.toFixed(1)} s, ${fmt(issueRate)} cards/s`,
      'ratio (target >= 0.5)': `${ratio.toFixed(2)} ${ratio >= 0.5 ? 'OK' : 'MISSED'}`,
      'peak RSS of purse cards issue (target < 300 MB)': `${issue.maxRssMb} MB ${issue.maxRssMb < 300 ? 'OK' : 'MISSED'}`,
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of fs.createReadStream(file)) {
    for (const byte of chunk as Buffer) if (byte === 0x0a) n++;
  }
  return n;
}
