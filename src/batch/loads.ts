import path from 'node:path';
import type pg from 'pg';
import type { Context } from '../context.js';
import { InputError } from '../errors.js';
import { isRetryable, sqlState } from '../db/errors.js';
import { openBusinessDate } from '../ledger/business-date.js';
import { checkControlTotals, type ControlTotals } from './control-totals.js';
import { checkReadable, stageLoadFile } from './load-file.js';
import { applyChunk, prepareWork, type ChunkResult } from './load-apply.js';
import { RejectsFile } from './rejects.js';
import { progress } from './progress.js';
import { analyzeGrown } from '../db/analyze.js';

export interface LoadOptions {
  file: string;
  /** Control totals given on the command line (checked like a trailer). */
  expectCount?: unknown;
  expectTotal?: unknown;
  /** Validate and report without posting. */
  dryRun?: boolean;
  /** Rows per committed chunk (default 20000). */
  chunkRows?: unknown;
}

/** The result of `purse cards load` (its `--json` output). */
export interface LoadSummary {
  file: string;
  dry_run: boolean;
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

const DEFAULT_CHUNK = 20_000;
const MAX_ATTEMPTS = 5;

/**
 * Loads stored value onto cards from a CSV file `card,amount,reference` (design §6), exactly once:
 * reads the whole file first (streaming, staged in the database as tokens), checks its control
 * totals — the trailer `TRAILER,<count>,<total>` and/or `expectCount`/`expectTotal` — and posts
 * nothing if they do not match; then applies the valid rows in chunks, each chunk committing its
 * ledger entries together with its references, so a run killed halfway and started again applies
 * every valid row once. Rejected rows go to `<file>.rejects.csv`. Throws InputError for a file
 * that cannot be used at all; otherwise returns the summary (a caller treats "no row applied or
 * already applied" as a failed file).
 */
export async function loadCardsFile(ctx: Context, opts: LoadOptions): Promise<LoadSummary> {
  const expected: ControlTotals[] = [];
  if (opts.expectCount !== undefined || opts.expectTotal !== undefined) {
    expected.push({
      count: opts.expectCount === undefined ? null : Number(wholeNumber(opts.expectCount, 'expect-count', /^[0-9]{1,9}$/)),
      total: opts.expectTotal === undefined ? null : BigInt(wholeNumber(opts.expectTotal, 'expect-total', /^-?[0-9]{1,18}$/)),
      source: [opts.expectCount !== undefined && '--expect-count', opts.expectTotal !== undefined && '--expect-total'].filter(Boolean).join('/'),
    });
  }
  const chunkRows = opts.chunkRows === undefined ? DEFAULT_CHUNK : Number(wholeNumber(opts.chunkRows, 'chunk-rows', /^[0-9]{1,6}$/));
  if (chunkRows < 1) throw new InputError('invalid_chunk_rows', 'chunk-rows must be at least 1', 'chunk-rows');
  await checkReadable(opts.file);
  const log = ctx.logger.child({ job: 'cards_load', file: path.basename(opts.file) });

  const client = await ctx.db.pg.connect();
  let rejects: RejectsFile | undefined;
  try {
    // This connection carries the run's temporary tables and is closed afterwards (release(true)).
    await client.query(`set work_mem = '128MB'`);
    const staged = await stageLoadFile(client, ctx.keys, opts.file, progress('reading', null));
    if (staged.trailer) expected.unshift(staged.trailer);
    checkControlTotals(expected, staged.found);
    const issuers = await prepareWork(client);
    rejects = await RejectsFile.open(`${opts.file}.rejects.csv`);
    const summary: LoadSummary = {
      file: opts.file, dry_run: Boolean(opts.dryRun), lines: staged.found.count, total: jsonInt(staged.found.total),
      control: expected.map((e) => ({ source: e.source, count: e.count, total: e.total === null ? null : jsonInt(e.total) })),
      applied: { count: 0, amount: 0 }, already_applied: { count: 0, amount: 0 }, rejected: { count: 0 },
      rejects_file: `${opts.file}.rejects.csv`,
    };
    const bar = progress(opts.dryRun ? 'checking' : 'loading', staged.found.count);
    for (let lo = 1; lo <= staged.found.count; lo += chunkRows) {
      const hi = Math.min(lo + chunkRows - 1, staged.found.count);
      const chunk = await runChunk(ctx, client, { lo, hi, fileName: path.basename(opts.file), issuers, dryRun: Boolean(opts.dryRun) });
      summary.applied.count += chunk.applied.count;
      summary.applied.amount += chunk.applied.amount;
      summary.already_applied.count += chunk.alreadyApplied.count;
      summary.already_applied.amount += chunk.alreadyApplied.amount;
      await rejects.add(chunk.rejects);
      bar.update(hi);
    }
    bar.finish(staged.found.count);
    summary.rejected.count = rejects.count;
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

/**
 * One chunk in its own transaction (a dry run needs none: it writes only temporary tables).
 * Retried whole on a serialization failure or deadlock, and on a unique violation of
 * load_references — another run applied one of the references first; the retry reports it.
 */
async function runChunk(
  ctx: Context, client: pg.PoolClient, opts: { lo: number; hi: number; fileName: string; issuers: Map<number, string>; dryRun: boolean },
): Promise<ChunkResult> {
  for (let attempt = 1; ; attempt++) {
    const now = ctx.clock.now();
    if (opts.dryRun) {
      const businessDate = await openBusinessDate(client, now, ctx.calendar);
      return applyChunk(client, { ...opts, businessDate, occurredAt: now });
    }
    await client.query('begin');
    try {
      const businessDate = await openBusinessDate(client, now, ctx.calendar);
      const result = await applyChunk(client, { ...opts, businessDate, occurredAt: now });
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback');
      const raced = sqlState(err) === '23505' && (err as { constraint?: string }).constraint === 'load_references_pkey';
      if (attempt < MAX_ATTEMPTS && (isRetryable(err) || raced)) continue;
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
