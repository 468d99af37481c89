/**
 * The settlement files of design §6, rendered from the rows stored at settlement (never from the
 * postings), so a re-run writes the same bytes: UTF-8 without BOM, LF, rows ordered by party code
 * then currency or scheme (byte order, not locale), spreadsheet-safe cells.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Queryable } from '../ledger/post.js';
import { AtomicFile } from '../batch/atomic-file.js';
import { safeCell } from '../batch/safe-cell.js';

interface FileSpec {
  /** File name prefix: `<prefix>-<date>.csv`. */
  prefix: string;
  table: string;
  /** CSV column → SQL expression over the table. */
  columns: [string, string][];
  /** Columns that are counts or amounts (summed in the summary). */
  numeric: string[];
  /** CSV column whose value groups the summary totals (currency or scheme). */
  totalsBy: string;
  order: string;
}

const FILES: FileSpec[] = [
  {
    prefix: 'merchants',
    table: 'settlement_merchants',
    columns: [['business_date', 'business_date'], ['merchant', 'merchant_code'], ['merchant_name', 'merchant_name'], ['currency', 'currency'],
      ...col('purchase_count', 'purchase_amount', 'refund_count', 'refund_amount', 'load_count', 'load_amount', 'commission',
        'points_funding', 'points_redemption_amount', 'points_sales_amount', 'prize_amount', 'net_amount')],
    numeric: ['purchase_count', 'purchase_amount', 'refund_count', 'refund_amount', 'load_count', 'load_amount', 'commission',
      'points_funding', 'points_redemption_amount', 'points_sales_amount', 'prize_amount', 'net_amount'],
    totalsBy: 'currency',
    order: 'merchant_code collate "C", currency collate "C"',
  },
  {
    prefix: 'merchant-points',
    table: 'settlement_merchant_points',
    columns: [['business_date', 'business_date'], ['merchant', 'merchant_code'], ['scheme', 'scheme_code'],
      ...col('points_issued', 'points_funding', 'points_redeemed', 'points_redemption_amount', 'points_sold', 'points_sales_amount')],
    numeric: ['points_issued', 'points_funding', 'points_redeemed', 'points_redemption_amount', 'points_sold', 'points_sales_amount'],
    totalsBy: 'scheme',
    order: 'merchant_code collate "C", scheme_code collate "C"',
  },
  {
    prefix: 'channels',
    table: 'settlement_channels',
    columns: [['business_date', 'business_date'], ['channel', 'channel_code'], ['currency', 'currency'], ...col('txn_count', 'fee_amount', 'net_amount')],
    numeric: ['txn_count', 'fee_amount', 'net_amount'],
    totalsBy: 'currency',
    order: 'channel_code collate "C", currency collate "C"',
  },
  {
    prefix: 'issuers',
    table: 'settlement_issuers',
    columns: [['business_date', 'business_date'], ['issuer', 'issuer_code'], ['currency', 'currency'],
      ...col('load_amount', 'card_fee_amount', 'cash_out_amount', 'breakage_amount', 'net_amount')],
    numeric: ['load_amount', 'card_fee_amount', 'cash_out_amount', 'breakage_amount', 'net_amount'],
    totalsBy: 'currency',
    order: 'issuer_code collate "C", currency collate "C"',
  },
];

function col(...names: string[]): [string, string][] {
  return names.map((n) => [n, n]);
}

/** One written file as the summary and the command report it. */
export interface SettlementFile {
  file: string;
  path: string;
  rows: number;
  sha256: string;
  /** Sum of every count and amount column, per currency (per scheme for merchant-points). */
  totals: Record<string, Record<string, number>>;
}

/** What summary-<date>.json holds (also the end of `purse settle --json`). */
export interface SettlementSummary {
  business_date: string;
  balanced: boolean;
  asset_totals: Record<string, number>;
  entries: { settlement: number; revaluation: number };
  files: Omit<SettlementFile, 'path'>[];
}

/**
 * Renders the four CSV files of settled date `date` from its stored rows into `outDir`, then the
 * summary (last, so a summary on disk means its files are there). Each file is written whole or
 * not at all (AtomicFile: `.partial`, fsync, rename).
 */
export async function writeSettlementFiles(db: Queryable, date: string, outDir: string): Promise<{ files: SettlementFile[]; summary: SettlementFile; content: SettlementSummary }> {
  const { rows: [s] } = await db.query<{ balanced: boolean; asset_totals: Record<string, number>; settlement_entries: number; revaluation_entries: number }>(
    'select balanced, asset_totals, settlement_entries, revaluation_entries from settlements where business_date = $1', [date]);
  const rendered: { file: string; text: string; rows: number; totals: SettlementFile['totals'] }[] = [];
  for (const spec of FILES) {
    const { rows } = await db.query<Record<string, string | number>>(
      `select ${spec.columns.map(([name, expr]) => `${expr} as "${name}"`).join(', ')} from ${spec.table} where business_date = $1 order by ${spec.order}`,
      [date]);
    const text = stringify(rows.map((r) => spec.columns.map(([name]) => safeCell(r[name], { amount: spec.numeric.includes(name) }))),
      { header: true, columns: spec.columns.map(([name]) => name), record_delimiter: 'unix' });
    const totals: SettlementFile['totals'] = {};
    for (const r of rows) {
      const t = (totals[String(r[spec.totalsBy])] ??= Object.fromEntries(spec.numeric.map((n) => [n, 0])));
      for (const n of spec.numeric) t[n]! += Number(r[n]);
    }
    rendered.push({ file: `${spec.prefix}-${date}.csv`, text, rows: rows.length, totals: sortKeys(totals) });
  }
  // The four files are independent: written (and fsynced) at once.
  const files: SettlementFile[] = await Promise.all(rendered.map(async ({ file, text, rows, totals }) => (
    { file, path: path.join(outDir, file), rows, sha256: await writeFile(path.join(outDir, file), text), totals })));
  const content: SettlementSummary = {
    business_date: date,
    balanced: s!.balanced,
    asset_totals: sortKeys(s!.asset_totals),
    entries: { settlement: s!.settlement_entries, revaluation: s!.revaluation_entries },
    files: files.map(({ path: _p, ...f }) => f),
  };
  const file = `summary-${date}.json`;
  const text = `${JSON.stringify(content, null, 2)}\n`;
  const summary: SettlementFile = { file, path: path.join(outDir, file), rows: files.length, sha256: await writeFile(path.join(outDir, file), text), totals: {} };
  return { files, summary, content };
}

async function writeFile(target: string, text: string): Promise<string> {
  const f = await AtomicFile.open(target, 0o640);
  try {
    await f.write(text);
    await f.commit();
  } catch (err) {
    await f.abort();
    throw err;
  }
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The object with its keys in byte order (JSON output independent of insertion order). */
function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]!]));
}
