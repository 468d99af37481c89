/**
 * `purse settle --date D`: business-date settlement (design §4 "Closing a business date", §6).
 */
import type { Context } from '../context.js';
import { withTransaction } from '../db/tx.js';
import { InputError } from '../errors.js';
import { cutoffInstant, isIsoDate } from '../ledger/calendar.js';
import { SETTLE_LOCK_SQL, checkEarlierDatesSettled, closeBusinessDate } from './settle-close.js';
import { aggregateDate, storeFileRows } from './settle-aggregate.js';
import { postRevaluations, postSettlementEntries } from './settle-post.js';
import { writeSettlementFiles, type SettlementFile, type SettlementSummary } from './settle-files.js';

/** Default directory of the settlement files. */

/** What a settlement did (and `purse settle --json` prints). */
export interface SettleResult {
  business_date: string;
  /** False when the date was settled before: nothing was posted, the files were rewritten from the stored rows. */
  posted: boolean;
  balanced: boolean;
  asset_totals: Record<string, number>;
  entries: { settlement: number; revaluation: number };
  out_dir: string;
  files: SettlementFile[];
  summary: { file: string; path: string; sha256: string };
}

/**
 * Settles business date `date` and writes its files into `out` (default: config settlementDir,
 * PURSE_SETTLEMENT_DIR or batches/settlement/):
 * 1. Refuses (InputError, field `date`) a malformed date, a date whose cut-off plus the settle
 *    grace period (PURSE_SETTLE_GRACE_MINUTES, default 5) has not passed by the context clock, and
 *    a date while an earlier date with postings is not settled (dates settle in order).
 * 2. Closes the date (closeBusinessDate: exclusive lock, waits for postings in flight, marks it
 *    closed; later postings go to the next open date) and commits.
 * 3. In one transaction under the settlement lock: unless the date is settled already, aggregates
 *    its postings in one set-based pass, posts the points revaluation of every scheme and one
 *    settlement entry per party and currency (party −position, settled:party +position, stamped
 *    the date), and stores the file rows and the `settlements` row.
 * 4. Renders the files from the stored rows. A re-run, or a second run racing the first, posts
 *    nothing and writes byte-identical files.
 */
export async function settleBusinessDate(ctx: Context, opts: { date: string; out?: string }): Promise<SettleResult> {
  const date = opts.date;
  if (typeof date !== 'string' || !isIsoDate(date)) throw new InputError('invalid_date', '--date must be a date YYYY-MM-DD', 'date');
  const now = ctx.clock.now();
  const closable = new Date(cutoffInstant(date, ctx.calendar).getTime() + ctx.config.settleGraceMinutes * 60_000);
  if (now.getTime() < closable.getTime()) {
    throw new InputError('date_not_over',
      `business date ${date} cannot be settled before ${closable.toISOString()} (its cut-off plus ${ctx.config.settleGraceMinutes} minutes' grace)`, 'date');
  }
  const log = ctx.logger.child({ job: 'settle', business_date: date });

  const settled = async () => (await ctx.db.pg.query('select 1 from settlements where business_date = $1', [date])).rows.length > 0;
  let posted = false;
  if (!(await settled())) {
    await withTransaction(ctx.db.pg, (client) => closeBusinessDate(client, date));
    posted = await withTransaction(ctx.db.pg, async (client) => {
      await client.query(SETTLE_LOCK_SQL);
      if ((await client.query('select 1 from settlements where business_date = $1', [date])).rows.length > 0) return false;
      await checkEarlierDatesSettled(client, date);
      const totals = await aggregateDate(client, date);
      const at = ctx.clock.now();
      const revaluation = await postRevaluations(client, date, at);
      const settlement = await postSettlementEntries(client, date, at);
      await client.query(`
        insert into settlements (business_date, balanced, asset_totals, settlement_entries, revaluation_entries)
        values ($1, $2, $3, $4, $5)`, [date, totals.balanced, JSON.stringify(totals.assetTotals), settlement, revaluation]);
      await storeFileRows(client, date);
      return true;
    });
  }

  const outDir = opts.out ?? ctx.config.settlementDir;
  const { files, summary, content } = await writeSettlementFiles(ctx.db.pg, date, outDir);
  const result = resultOf(content, posted, outDir, files, summary);
  log.info({ posted, balanced: result.balanced, entries: result.entries, out_dir: outDir }, posted ? 'business date settled' : 'business date already settled: files rewritten');
  return result;
}

function resultOf(s: SettlementSummary, posted: boolean, outDir: string, files: SettlementFile[], summary: SettlementFile): SettleResult {
  return {
    business_date: s.business_date, posted, balanced: s.balanced, asset_totals: s.asset_totals, entries: s.entries,
    out_dir: outDir, files, summary: { file: summary.file, path: summary.path, sha256: summary.sha256 },
  };
}
