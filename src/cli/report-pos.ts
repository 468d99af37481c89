import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printTable } from './output.js';
import { listPosBatches } from '../iso/batches.js';

export function register(report: Command): void {
  report.command('pos-batches').description('ISO 8583 terminal batches: totals and whether they balanced')
    .option('--date <date>', 'only batches opened or closed on this date (YYYY-MM-DD, business time zone)')
    .option('--json', 'print JSON')
    .action((o: { date?: string; json?: boolean }) => withContext(async (ctx) => output(o.json, await listPosBatches(ctx, o.date),
      (rows) => printTable(rows, ['merchant', 'terminal', 'batch', 'opened_at', 'closed_at', 'debit_amount', 'debit_count', 'credit_amount', 'credit_count', 'balanced']))));
}
