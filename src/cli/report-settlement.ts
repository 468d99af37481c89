import type { Command } from 'commander';
import { withContext } from './context.js';
import { printJson } from './output.js';
import { csvHeader, csvLines, toCsv, type CsvShape } from '../reports/csv.js';
import type { Context } from '../context.js';
import { feesReport, FEES_CSV } from '../reports/fees.js';
import { revenueReport, REVENUE_CSV } from '../reports/revenue.js';
import { statsReport, STATS_CSV } from '../reports/stats.js';
import { queryTransactions, TRANSACTIONS_CSV, type TransactionFilterInput } from '../reports/transactions.js';

/** Writes to stdout, waiting when the pipe is full (a large export streams in flat memory). */
async function write(text: string): Promise<void> {
  if (text === '' || process.stdout.write(text)) return;
  await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
}

/** CSV (default) or JSON of the transactions query, page by page. */
async function exportTransactions(filter: TransactionFilterInput, json: boolean | undefined): Promise<void> {
  await withContext(async (ctx) => {
    const pages = await queryTransactions(ctx, filter);
    let first = true;
    if (!json) await write(csvHeader(TRANSACTIONS_CSV));
    for await (const page of pages) {
      if (!json) {
        await write(csvLines(TRANSACTIONS_CSV, page));
        continue;
      }
      const text = page.map((r) => JSON.stringify(r)).join(',\n');
      await write(`${first ? '[\n' : ',\n'}${text}`);
      first = false;
    }
    if (json) await write(first ? '[]\n' : '\n]\n');
  });
}

/** A report command's action: the report as JSON with --json, else its rows as CSV. */
function csvOrJson<O, R extends { rows: readonly object[] }>(
  run: (ctx: Context, o: O) => Promise<R>, shape: CsvShape,
): (o: O & { json?: boolean }) => Promise<void> {
  return (o) => withContext(async (ctx) => {
    const r = await run(ctx, o);
    if (o.json) printJson(r);
    else await write(toCsv(shape, r.rows));
  });
}

/** purse report fees | revenue | transactions | stats. CSV on stdout (spreadsheet-safe), or --json. */
export function register(g: Command): void {
  g.command('fees').description('fee lines per merchant (commission) and per channel (channel fees) for each business date')
    .requiredOption('--from <date>', 'first business date YYYY-MM-DD')
    .requiredOption('--to <date>', 'last business date YYYY-MM-DD')
    .option('--json', 'print JSON (rows and totals) instead of CSV')
    .action(csvOrJson(feesReport, FEES_CSV));

  g.command('revenue').description('operator revenue by kind for each business date of a month (channel fees negative: a cost)')
    .requiredOption('--month <month>', 'YYYY-MM')
    .option('--json', 'print JSON (rows and month totals) instead of CSV')
    .action(csvOrJson(revenueReport, REVENUE_CSV));

  g.command('transactions').description('processed transactions matching every filter given, as CSV (card: last 4 digits only)')
    .option('--card-last4 <digits>', 'last 4 digits of the card number')
    .option('--card-id <id>', 'card id')
    .option('--merchant <code>', 'merchant code')
    .option('--terminal <code>', 'terminal code')
    .option('--channel <code>', 'channel code')
    .option('--type <type>', 'message type (purchase, refund, load, ...)')
    .option('--from <date>', 'first business date YYYY-MM-DD')
    .option('--to <date>', 'last business date YYYY-MM-DD')
    .option('--json', 'print a JSON array instead of CSV')
    .action((o: TransactionFilterInput & { json?: boolean }) => exportTransactions(o, o.json));

  g.command('stats').description('counts and amounts of processed transactions by business date, type and merchant')
    .option('--from <date>', 'first business date YYYY-MM-DD')
    .option('--to <date>', 'last business date YYYY-MM-DD')
    .option('--json', 'print JSON (rows and per-date totals) instead of CSV')
    .action(csvOrJson(statsReport, STATS_CSV));
}
