import type { Command } from 'commander';
import { withContext } from './context.js';
import { printJson } from './output.js';
import { csvHeader, csvLines, toCsv, type CsvShape } from '../reports/csv.js';
import type { Context } from '../context.js';
import { feesReport, FEES_CSV } from '../reports/fees.js';
import { revenueReport, REVENUE_CSV } from '../reports/revenue.js';
import { statsReport, STATS_CSV } from '../reports/stats.js';
import { queryTransactions, TRANSACTIONS_CSV, type TransactionFilterInput } from '../reports/transactions.js';
import { feesSheet, revenueSheet, statsSheet, TRANSACTION_COLUMNS, transactionRows } from '../reports/people/report-sheets.js';
import type { Sheet } from '../reports/people/sheet.js';
import { isoLocal } from '../reports/people/time.js';
import { AtomicFile } from '../batch/atomic-file.js';
import { emitPeople, emitPeoplePages, reportFormat, today, wantsPeople, withPeopleOptions, type PeopleCliOptions } from './people-output.js';

/** Writes to stdout, waiting when the pipe is full (a large export streams in flat memory). */
async function write(text: string | Buffer): Promise<void> {
  if (text === '' || process.stdout.write(text)) return;
  await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
}

/** The transactions for people (--out, --encoding, …): times in the business timezone; CSV streamed, or XLSX. */
async function transactionsForPeople(ctx: Context, filter: TransactionFilterInput & PeopleCliOptions): Promise<void> {
  const fmt = reportFormat(filter);
  const pages = await queryTransactions(ctx, filter);
  const people = (async function* () {
    for await (const page of pages) yield transactionRows(page, ctx.calendar.timezone);
  })();
  const sheet = { name: 'transactions', columns: TRANSACTION_COLUMNS };
  const date = typeof filter.to === 'string' ? filter.to : today(ctx);
  if (filter.out === undefined || fmt.xlsx) {
    await emitPeoplePages(ctx, filter, sheet, people, date, (b) => write(b));
    return;
  }
  const file = await AtomicFile.open(filter.out, 0o644);
  try {
    await emitPeoplePages(ctx, filter, sheet, people, date, (b) => file.writeBytes(b));
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
}

/** CSV (default) or JSON of the transactions query, page by page. */
async function exportTransactions(filter: TransactionFilterInput & PeopleCliOptions, json: boolean | undefined): Promise<void> {
  await withContext(async (ctx) => {
    if (wantsPeople(filter)) {
      await transactionsForPeople(ctx, filter);
      return;
    }
    const pages = await queryTransactions(ctx, filter);
    let first = true;
    if (!json) await write(csvHeader(TRANSACTIONS_CSV));
    for await (const page of pages) {
      if (!json) {
        // Times in files are in the business timezone with offset (design §6b); the same instant.
        await write(csvLines(TRANSACTIONS_CSV, page.map((t) => ({ ...t, occurred_at: isoLocal(new Date(t.occurred_at), ctx.calendar.timezone) }))));
        continue;
      }
      const text = page.map((r) => JSON.stringify(r)).join(',\n');
      await write(`${first ? '[\n' : ',\n'}${text}`);
      first = false;
    }
    if (json) await write(first ? '[]\n' : '\n]\n');
  });
}

/**
 * A report command's action: the report as JSON with --json, for people with --out, --encoding,
 * --lang, --amounts or --xlsx, else its rows as CSV.
 */
function csvOrJson<O, R extends { rows: readonly object[] }>(
  run: (ctx: Context, o: O) => Promise<R>, shape: CsvShape, people: (r: R) => Sheet[], lastDate: (r: R) => string | null,
): (o: O & PeopleCliOptions) => Promise<void> {
  return (o) => withContext(async (ctx) => {
    if (wantsPeople(o)) reportFormat(o); // bad options fail before the query
    const r = await run(ctx, o);
    if (wantsPeople(o)) await emitPeople(ctx, o, people(r), lastDate(r) ?? today(ctx));
    else if (o.json) printJson(r);
    else await write(toCsv(shape, r.rows));
  });
}

/** purse report fees | revenue | transactions | stats. CSV on stdout (spreadsheet-safe), or --json. */
export function register(g: Command): void {
  g.command('fees').description('fee lines per merchant (commission) and per channel (channel fees) for each business date')
    .requiredOption('--from <date>', 'first business date YYYY-MM-DD')
    .requiredOption('--to <date>', 'last business date YYYY-MM-DD')
    .option('--json', 'print JSON (rows and totals) instead of CSV');
  withPeopleOptions(g.commands.at(-1)!).action(csvOrJson(feesReport, FEES_CSV, feesSheet, (r) => r.to));

  g.command('revenue').description('operator revenue by kind for each business date of a month (channel fees negative: a cost)')
    .requiredOption('--month <month>', 'YYYY-MM')
    .option('--json', 'print JSON (rows and month totals) instead of CSV');
  withPeopleOptions(g.commands.at(-1)!).action(csvOrJson(revenueReport, REVENUE_CSV, revenueSheet, (r) => r.to));

  g.command('transactions').description('processed transactions matching every filter given, as CSV (card: last 4 digits only)')
    .option('--card-last4 <digits>', 'last 4 digits of the card number')
    .option('--card-id <id>', 'card id')
    .option('--merchant <code>', 'merchant code')
    .option('--terminal <code>', 'terminal code')
    .option('--channel <code>', 'channel code')
    .option('--type <type>', 'message type (purchase, refund, load, ...)')
    .option('--from <date>', 'first business date YYYY-MM-DD')
    .option('--to <date>', 'last business date YYYY-MM-DD')
    .option('--json', 'print a JSON array instead of CSV');
  withPeopleOptions(g.commands.at(-1)!).action((o: TransactionFilterInput & PeopleCliOptions) => exportTransactions(o, o.json));

  g.command('stats').description('counts and amounts of processed transactions by business date, type and merchant')
    .option('--from <date>', 'first business date YYYY-MM-DD')
    .option('--to <date>', 'last business date YYYY-MM-DD')
    .option('--json', 'print JSON (rows and per-date totals) instead of CSV');
  withPeopleOptions(g.commands.at(-1)!).action(csvOrJson(statsReport, STATS_CSV, statsSheet, (r) => r.to));
}
