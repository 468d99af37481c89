import crypto from 'node:crypto';
import path from 'node:path';
import type pg from 'pg';
import type { Context } from '../context.js';
import { InputError, NotFoundError } from '../errors.js';
import * as v from '../registry/validate.js';
import { localDate } from '../ledger/calendar.js';
import { balancedEntry } from '../ledger/entry.js';
import { postEntries } from '../ledger/post.js';
import { cardFee } from '../ledger/flows/index.js';
import { openBusinessDate } from '../ledger/business-date.js';
import { PersonalizationFile } from '../batch/personalization.js';
import { progress } from '../batch/progress.js';
import { cardExpiry } from './cards.js';
import { decrypt } from './vault.js';
import { RandomPool } from './random-pool.js';
import { cardDrawer, copyChunk, settleChunk, type CardDrawer, type IssueProgram } from './issue-chunk.js';
import { hasPanTokenTable } from './pan-tokens.js';
import { analyzeGrown } from '../db/analyze.js';

export interface IssueOptions {
  program: unknown;
  count: unknown;
  /** Personalization file; default `batches/out/<program>-<batch>.csv` under the working directory. */
  out?: unknown;
  /** Batch reference, unique per program; default generated from the clock. */
  batch?: unknown;
}

/** The result of `purse cards issue` (its `--json` output). */
export interface IssueResult {
  program: string;
  batch: string;
  count: number;
  /** Absolute path of the personalization file. */
  file: string;
  status: 'issued' | 'active';
  /** Last valid day of every card of the batch; null when they never expire (named cards). */
  expiry: string | null;
  /** True when the batch existed: nothing was issued, the file was rewritten from the stored cards. */
  already_issued: boolean;
  first_card_id: number;
  last_card_id: number;
  /** The batch's issuance fee entry; null when the program charges none or nothing was issued now. */
  fee: { per_card: number; total: number; entry_id: number } | null;
}

export const MAX_ISSUE = 10_000_000;
const CHUNK = 10_000;
const BATCH_REF = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
// pg_advisory_xact_lock(ISSUE_LOCK, hashtext(first 6 BIN digits)): one bulk issuance per BIN at a
// time, so two batches never draw the same PAN concurrently (each checks only committed cards).
const ISSUE_LOCK = 7_216_531;

/**
 * Issues `count` cards of a program as one batch (design §6), in one transaction: random
 * Luhn-valid PANs within the BIN (CSPRNG, never sequential, unique by their HMAC token), stored
 * only as token, last 4 digits and AES-GCM ciphertext; expiry from the program's validity (last
 * day of the month `validity_months` after the issue date; none for named cards); status `issued`,
 * or `active` when the program activates on issue; a value account per card; one `card_fee` entry
 * for the batch when the program charges an issuance fee. The personalization file is written
 * beside, fsynced before the commit and renamed into place after it (mode 0600).
 *
 * Re-running with a `batch` reference the program already used issues nothing: with the same
 * count it rewrites the personalization file from the stored ciphertexts (same cards, same order)
 * and reports `already_issued`; with another count it is an InputError.
 */
export async function issueCards(ctx: Context, opts: IssueOptions): Promise<IssueResult> {
  const programCode = v.code(opts.program, 'program');
  const count = v.int(opts.count, 'count', 1, MAX_ISSUE);
  const now = ctx.clock.now();
  const batch = opts.batch === undefined ? defaultBatchRef(now, ctx.calendar.timezone) : batchRef(opts.batch);
  if (opts.out !== undefined && (typeof opts.out !== 'string' || opts.out === '')) throw new InputError('invalid_out', 'out must be a file path', 'out');
  const program = await loadProgram(ctx.db.pg, programCode);
  const out = path.resolve(typeof opts.out === 'string' ? opts.out : path.join('batches', 'out', `${program.code}-${batch}.csv`));

  const client = await ctx.db.pg.connect();
  let file: PersonalizationFile | undefined;
  let drawer: CardDrawer | undefined;
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1, hashtext($2))', [ISSUE_LOCK, program.bin.slice(0, 6)]);
    const existing = await client.query<{ id: number; card_count: number }>(
      'select id, card_count from card_batches where program_id = $1 and reference = $2', [program.id, batch]);
    if (existing.rows[0]) {
      await client.query('rollback');
      return await rewriteBatch(ctx, client, program, batch, existing.rows[0], count, out);
    }
    await checkCapacity(client, program, count);
    const tokenTable = await hasPanTokenTable(client);
    const { rows: [b] } = await client.query<{ id: number }>(
      'insert into card_batches (program_id, reference, card_count) values ($1, $2, $3) returning id', [program.id, batch, count]);
    const status = program.activate_on_issue ? 'active' : 'issued';
    const expiry = cardExpiry(localDate(now, ctx.calendar.timezone), program.validity_months);
    const row = { program, batchId: b!.id, status, expiry, issuedAt: now } as const;
    file = await PersonalizationFile.open(out);
    const pool = new RandomPool();
    drawer = cardDrawer(ctx.keys, program);
    const bar = progress('issuing', count);
    let first = 0;
    let last = 0;
    let copying: Promise<void> = Promise.resolve();
    let next = drawer.draw(Math.min(CHUNK, count));
    next.catch(() => undefined); // a draw left in flight by a failure is abandoned, not unhandled
    for (let done = 0; done < count;) {
      // The next chunk is drawn (on the worker thread) while this one is settled and the previous
      // one's COPY streams; the collision check has to see the previous chunk's cards, so that
      // COPY must finish first.
      const chunk = await next;
      const n = chunk.pans.length;
      if (done + n < count) {
        next = drawer.draw(Math.min(CHUNK, count - done - n));
        next.catch(() => undefined);
      }
      await copying;
      await settleChunk(client, ctx.keys, program, chunk, pool, tokenTable);
      copying = copyChunk(client, ctx.keys, chunk, row, tokenTable);
      copying.catch(() => undefined); // awaited on the next turn; never left unhandled meanwhile
      await file.add(chunk.pans, chunk.ids, expiry);
      first ||= chunk.ids[0]!;
      last = chunk.ids[chunk.ids.length - 1]!;
      done += n;
      bar.update(done);
    }
    await copying;
    bar.finish(count);
    const fee = await chargeIssuanceFee(ctx, client, program, batch, count, now);
    await file.seal();
    await client.query('commit');
    await file.publish();
    ctx.logger.info({ program: program.code, batch, count }, 'cards issued');
    // The cards are committed: a failed ANALYZE leaves only statistics for autovacuum to refresh.
    await analyzeGrown(client, { cards: count, card_accounts: count }, ctx.logger)
      .catch((err: unknown) => ctx.logger.warn({ err }, 'analyze after issuance failed; autovacuum will catch up'));
    return { program: program.code, batch, count, file: out, status, expiry, already_issued: false, first_card_id: first, last_card_id: last, fee };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    await file?.abort();
    throw err;
  } finally {
    await drawer?.close();
    client.release();
  }
}

/** Posts the batch's issuance fee: issuer −fee×n, revenue:card_fees +fee×n (design §4). */
async function chargeIssuanceFee(
  ctx: Context, client: pg.ClientBase, program: IssueProgram, batch: string, count: number, now: Date,
): Promise<IssueResult['fee']> {
  if (program.issuance_fee === 0) return null;
  const total = program.issuance_fee * count;
  const businessDate = await openBusinessDate(client, now, ctx.calendar);
  const [entryId] = await postEntries(client, businessDate, [balancedEntry('card_fee', cardFee({ issuerId: program.issuer_id, currency: program.currency, fee: total }), { occurredAt: now, memo: { fee: 'issuance', program: program.code, batch, cards: count, per_card: program.issuance_fee } })]);
  return { per_card: program.issuance_fee, total, entry_id: entryId! };
}

/**
 * The batch exists: issue nothing. With the same count, rewrite its personalization file from the
 * stored ciphertexts in card-id order (what the first run wrote), 20,000 ids at a time.
 */
async function rewriteBatch(
  ctx: Context, client: pg.ClientBase, program: IssueProgram, batch: string, existing: { id: number; card_count: number }, count: number, out: string,
): Promise<IssueResult> {
  if (existing.card_count !== count) {
    throw new InputError('batch_exists', `batch ${batch} of program ${program.code} was already issued with ${existing.card_count} cards; nothing issued (choose another --batch, or --count ${existing.card_count} to rewrite its personalization file)`, 'batch');
  }
  const file = await PersonalizationFile.open(out);
  try {
    const { rows: [span] } = await client.query<{ lo: number; hi: number }>('select min(id) as lo, max(id) as hi from cards where batch_id = $1', [existing.id]);
    let expiry: string | null = null;
    // Pages of the primary key between the batch's first and last id: a batch's ids form one
    // ascending run (reserved by its transaction), so each page is an index range scan, never a
    // sort of the whole batch.
    for (let lo = span!.lo; lo <= span!.hi; lo += CHUNK) {
      const { rows } = await client.query<{ id: number; pan_cipher: Buffer; key_id: string; expiry_date: string | null }>(
        'select id, pan_cipher, key_id, expiry_date from cards where id between $2 and $3 and batch_id = $1 order by id', [existing.id, lo, lo + CHUNK - 1]);
      if (rows.length === 0) continue;
      expiry = rows[0]!.expiry_date;
      await file.add(rows.map((r) => decrypt(ctx.keys, r.pan_cipher, r.key_id)), rows.map((r) => r.id), expiry);
    }
    await file.seal();
    await file.publish();
    return {
      program: program.code, batch, count, file: out, status: program.activate_on_issue ? 'active' : 'issued', expiry,
      already_issued: true, first_card_id: span!.lo, last_card_id: span!.hi, fee: null,
    };
  } catch (err) {
    await file.abort();
    throw err;
  }
}

/** Refuses a batch that would fill more than half the PAN space of the BIN (draws would keep colliding). */
async function checkCapacity(client: pg.ClientBase, program: IssueProgram, count: number): Promise<void> {
  const space = 10 ** (program.pan_length - program.bin.length - 1);
  const { rows: [used] } = await client.query<{ n: number }>(
    'select count(*)::int as n from cards c join programs p on p.id = c.program_id where p.bin = $1', [program.bin]);
  if (used!.n + count > space / 2) {
    throw new InputError('bin_exhausted', `BIN ${program.bin} with ${program.pan_length}-digit PANs has room for ${Math.floor(space / 2)} cards (half its ${space} numbers); ${used!.n} exist, ${count} asked`, 'count');
  }
}

async function loadProgram(pool: pg.Pool, code: string): Promise<IssueProgram> {
  const { rows } = await pool.query<IssueProgram>(`
    select id, code, issuer_id, bin, pan_length, validity_months, activate_on_issue, currency, issuance_fee
    from programs where code = $1`, [code]);
  if (!rows[0]) throw new NotFoundError('program', code, 'program');
  return rows[0];
}

function batchRef(value: unknown): string {
  if (typeof value !== 'string' || !BATCH_REF.test(value)) {
    throw new InputError('invalid_batch', 'batch must be 1–64 characters: letters, digits, _ . - (starting with a letter or digit)', 'batch');
  }
  return value;
}

/** `YYYYMMDD-HHMMSS-xxxx`: the local issue time and 4 random hex digits (two runs in one second differ). */
function defaultBatchRef(now: Date, timezone: string): string {
  const time = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(now);
  return `${localDate(now, timezone).replaceAll('-', '')}-${time.replaceAll(':', '')}-${crypto.randomBytes(2).toString('hex')}`;
}
