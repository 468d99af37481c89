import path from 'node:path';
import type pg from 'pg';
import type { Context } from '../context.js';
import { InputError, UsageError } from '../errors.js';
import { isRetryable, sqlState } from '../db/errors.js';
import { openBusinessDate } from '../ledger/business-date.js';
import { checkControlTotals, type ControlTotals } from './control-totals.js';
import { checkReadable, stageLoadFile } from './load-file.js';
import { applyChunk, findApplied, prepareWork, type ChunkResult } from './load-apply.js';
import { BulkCreditRaced } from '../ledger/bulk.js';
import { RejectsFile, type RejectRow } from './rejects.js';
import { auditPg, type Actor } from '../admin/audit.js';
import { progress } from './progress.js';
import { analyzeGrown } from '../db/analyze.js';
import { inputEncoding } from './text-encoding.js';

export interface LoadOptions {
  file: string;
  /** Control totals given on the command line (checked like a trailer). */
  expectCount?: unknown;
  expectTotal?: unknown;
  /** Validate and report without posting. */
  dryRun?: boolean;
  /** Rows per committed chunk (default DEFAULT_CHUNK_ROWS). */
  chunkRows?: unknown;
  /**
   * Keeps an over-limit file (total above PURSE_LOAD_APPROVAL_OVER) for approval instead of
   * applying it: given the run's connection with the rows staged. Without it such a file is a usage error.
   */
  hold?: (client: pg.PoolClient, file: { file: string; lines: number; total: number; byCardId: boolean; encoding: string }) => Promise<PendingLoad>;
  /** Who runs the load: each chunk that credits cards is audited in its own transaction. */
  actor?: Actor;
  /** `utf8` or `gbk`; detected when absent. */
  encoding?: unknown;
}

/** What `purse cards load` answers for a file waiting for approval (design §10). */
export interface PendingLoad { status: 'pending'; approval_id: number; file: string; lines: number; total: number; file_sha256: string }

/** The result of `purse cards load` (its `--json` output). */
export interface LoadSummary {
  file: string;
  dry_run: boolean;
  /** The encoding the file was read in: as given with --encoding, or detected (utf8 or gbk). */
  encoding: string;
  /** `card` (card numbers) or `card_id` (card ids): what the file's first column names. */
  card_column: 'card' | 'card_id';
  /** Detail lines read (header, trailer and blank lines excluded). */
  lines: number;
  /** Sum of the amounts as written on the detail lines whose amount could be read. */
  total: number | string;
  /** Control totals checked, each `{ source, count, total }`; empty when the file had none. */
  control: { source: string; count: number | null; total: number | string | null }[];
  /** Rows credited by this run (with --dry-run: rows that would be). */
  applied: { count: number; amount: number };
  /** Rows whose reference an earlier run already applied with the same card and amount. */
  already_applied: { count: number; amount: number };
  rejected: { count: number };
  rejects_file: string;
}

/**
 * Rows per chunk, each chunk one transaction. Small, because a load runs beside the daemon: the
 * cards a chunk credits stay locked from its last statement to its commit, and purchases on them
 * wait that long; every committed chunk is final (a re-run reports its rows as already applied).
 */
export const DEFAULT_CHUNK_ROWS = 1_000;
const MAX_ATTEMPTS = 5;

/**
 * Loads stored value onto cards from a CSV file `card,amount,reference` (design §6; §6b: or
 * `卡号,金额,流水号`, `card_id` instead of `card`, UTF-8 or GBK given or detected), exactly once:
 * reads the whole file first (streaming, staged in the database as tokens), checks its control
 * totals — the trailer `TRAILER,<count>,<total>` and/or `expectCount`/`expectTotal` — and posts
 * nothing if they do not match; then applies the valid rows in chunks, each chunk committing its
 * ledger entries together with its references, so a run killed halfway and started again applies
 * every valid row once. Rejected rows go to `<file>.rejects.csv`. Throws InputError for a file
 * that cannot be used at all; otherwise returns the summary (a caller treats "no row applied or
 * already applied" as a failed file), or, for a file over PURSE_LOAD_APPROVAL_OVER, what `hold` made of it.
 */
export async function loadCardsFile(ctx: Context, opts: LoadOptions): Promise<LoadSummary | PendingLoad> {
  const expected: ControlTotals[] = [];
  if (opts.expectCount !== undefined || opts.expectTotal !== undefined) {
    expected.push({
      count: opts.expectCount === undefined ? null : Number(wholeNumber(opts.expectCount, 'expect-count', /^[0-9]{1,9}$/)),
      total: opts.expectTotal === undefined ? null : BigInt(wholeNumber(opts.expectTotal, 'expect-total', /^-?[0-9]{1,18}$/)),
      source: [opts.expectCount !== undefined && '--expect-count', opts.expectTotal !== undefined && '--expect-total'].filter(Boolean).join('/'),
    });
  }
  const chunkRows = opts.chunkRows === undefined ? DEFAULT_CHUNK_ROWS : Number(wholeNumber(opts.chunkRows, 'chunk-rows', /^[0-9]{1,6}$/));
  if (chunkRows < 1) throw new InputError('invalid_chunk_rows', 'chunk-rows must be at least 1', 'chunk-rows');
  const encoding = inputEncoding(opts.encoding);
  await checkReadable(opts.file);
  const log = ctx.logger.child({ job: 'cards_load', file: path.basename(opts.file) });

  const client = await ctx.db.pg.connect();
  let rejects: RejectsFile | undefined;
  try {
    // This connection carries the run's temporary tables and is closed afterwards (release(true)).
    await client.query(`set work_mem = '128MB'`);
    const staged = await stageLoadFile(client, ctx.keys, opts.file, progress('reading', null), encoding);
    if (staged.trailer) expected.unshift(staged.trailer);
    checkControlTotals(expected, staged.found);
    if (!opts.dryRun && staged.found.total > BigInt(ctx.config.loadApprovalOver)) {
      // Maker-checker (design §10): the parsed rows wait in the database for a second operator.
      if (!opts.hold) throw new UsageError(`the file total ${staged.found.total} exceeds PURSE_LOAD_APPROVAL_OVER (${ctx.config.loadApprovalOver}): run it with --as USERNAME; it then waits for another operator's approval`);
      return await opts.hold(client, { file: opts.file, lines: staged.found.count, total: Number(staged.found.total), byCardId: staged.byCardId, encoding: staged.encoding });
    }
    rejects = await RejectsFile.open(`${opts.file}.rejects.csv`);
    const summary = await applyStaged(ctx, client, {
      file: opts.file, found: staged.found, byCardId: staged.byCardId, encoding: staged.encoding, dryRun: Boolean(opts.dryRun), chunkRows, rejects, actor: opts.actor,
      control: expected.map((e) => ({ source: e.source, count: e.count, total: e.total === null ? null : jsonInt(e.total) })),
    });
    summary.rejects_file = rejects.path;
    await rejects.commit();
    log.info({ applied: summary.applied, already_applied: summary.already_applied, rejected: summary.rejected.count, dry_run: summary.dry_run }, 'load file done');
    if (!opts.dryRun) {
      // Every chunk is committed: a failed ANALYZE leaves only statistics for autovacuum to refresh.
      const n = summary.applied.count;
      await analyzeGrown(client, { entries: n, postings: 2 * n, load_references: n, card_accounts: n }, log)
        .catch((err: unknown) => log.warn({ err }, 'analyze after the load failed; autovacuum will catch up'));
    }
    return summary;
  } catch (err) {
    await rejects?.abort();
    throw err;
  } finally {
    client.release(true);
  }
}

/** Where rejected rows go: the rejects file, or (an approved load) the approval's result. */
export interface RejectSink {
  readonly count: number;
  add(rows: readonly RejectRow[]): Promise<void>;
}

/**
 * Applies the rows staged in `purse_load_rows` on `client` (read from a file, or restored from a
 * pending approval) in chunks, each its own transaction: the one load-apply path.
 */
export async function applyStaged(
  ctx: Context, client: pg.PoolClient,
  opts: {
    file: string; found: { count: number; total: bigint }; byCardId: boolean; encoding: LoadSummary['encoding']; dryRun: boolean; chunkRows: number;
    rejects: RejectSink; control: LoadSummary['control']; actor?: Actor;
  },
): Promise<LoadSummary> {
  const issuers = await prepareWork(client, opts.found.count, opts.byCardId);
  const summary: LoadSummary = {
    file: opts.file, dry_run: opts.dryRun, encoding: opts.encoding, card_column: opts.byCardId ? 'card_id' : 'card', lines: opts.found.count, total: jsonInt(opts.found.total), control: opts.control,
    applied: { count: 0, amount: 0 }, already_applied: { count: 0, amount: 0 }, rejected: { count: 0 }, rejects_file: '',
  };
  const bar = progress(opts.dryRun ? 'checking' : 'loading', opts.found.count);
  for (let lo = 1; lo <= opts.found.count; lo += opts.chunkRows) {
    const hi = Math.min(lo + opts.chunkRows - 1, opts.found.count);
    const chunk = await runChunk(ctx, client, { lo, hi, fileName: path.basename(opts.file), issuers, dryRun: opts.dryRun, actor: opts.actor });
    summary.applied.count += chunk.applied.count;
    summary.applied.amount += chunk.applied.amount;
    summary.already_applied.count += chunk.alreadyApplied.count;
    summary.already_applied.amount += chunk.alreadyApplied.amount;
    await opts.rejects.add(chunk.rejects);
    bar.update(hi);
  }
  bar.finish(opts.found.count);
  summary.rejected.count = opts.rejects.count;
  return summary;
}

/**
 * One chunk in its own transaction (a dry run needs none: it writes only temporary tables).
 * Retried whole on a serialization failure or deadlock; on a unique violation of load_references
 * (another run applied one of the references since this run looked them up: the retry looks the
 * chunk's references up again and reports them); and when a card's
 * balance was raised between the chunk's decision and its credit (BulkCreditRaced), then with the
 * chunk's cards locked before their balances are read, so that retry cannot race again.
 */
async function runChunk(
  ctx: Context, client: pg.PoolClient, opts: { lo: number; hi: number; fileName: string; issuers: Map<number, string>; dryRun: boolean; actor?: Actor },
): Promise<ChunkResult> {
  let lockFirst = false;
  for (let attempt = 1; ; attempt++) {
    const now = ctx.clock.now();
    if (opts.dryRun) {
      const businessDate = await openBusinessDate(client, now, ctx.calendar);
      return applyChunk(client, { ...opts, businessDate, occurredAt: now });
    }
    await client.query('begin');
    try {
      const businessDate = await openBusinessDate(client, now, ctx.calendar);
      const { actor } = opts;
      const result = await applyChunk(client, {
        ...opts, businessDate, occurredAt: now, lockFirst,
        // Written before the chunk locks its cards, so the lock is held for as little as possible.
        onDecided: async (r) => {
          if (!actor || r.applied.count === 0) return;
          await auditPg(client, ctx, actor, {
            action: 'cards.load', target: `load_file:${opts.fileName}`, outcome: 'ok',
            after: { lines: `${opts.lo}-${opts.hi}`, applied: r.applied, already_applied: r.alreadyApplied, rejected: r.rejects.length },
          });
        },
      });
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback');
      const raced = sqlState(err) === '23505' && (err as { constraint?: string }).constraint === 'load_references_pkey';
      if (err instanceof BulkCreditRaced) lockFirst = true;
      if (attempt < MAX_ATTEMPTS && (isRetryable(err) || raced || err instanceof BulkCreditRaced)) {
        if (raced) await findApplied(client, opts.lo, opts.hi);
        continue;
      }
      throw err;
    }
  }
}

function wholeNumber(raw: unknown, field: string, format: RegExp): string {
  const s = String(raw);
  if (!format.test(s)) throw new InputError('invalid_number', `${field} must be a whole number`, field);
  return s;
}

/** A bigint for JSON: a number when exact, else its decimal string. */
function jsonInt(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}
