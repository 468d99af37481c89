import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printLine, printTable } from './output.js';
import { settleBusinessDate, type SettleResult } from '../settlement/settle.js';

function printResult(r: SettleResult): void {
  printLine(r.posted
    ? `business date ${r.business_date} settled: ${r.entries.settlement} settlement and ${r.entries.revaluation} revaluation entries posted`
    : `business date ${r.business_date} was already settled: nothing posted, files rewritten`);
  printLine(`balanced: ${r.balanced ? 'yes' : 'NO'}`);
  printTable(r.files, ['file', 'rows', 'sha256']);
  printLine(`summary: ${r.summary.path}`);
}

/** purse settle: close a business date and write its settlement files. */
export function register(program: Command): void {
  program.command('settle').description('close a business date, post its settlement entries and write the settlement files')
    .requiredOption('--date <date>', 'business date YYYY-MM-DD (its cut-off plus the grace period must have passed)')
    .option('--out <dir>', 'directory of the settlement files (default PURSE_SETTLEMENT_DIR or batches/settlement)')
    .option('--json', 'print JSON')
    .action((o: { date: string; out?: string; json?: boolean }) => withContext(async (ctx) =>
      output(o.json, await settleBusinessDate(ctx, { date: o.date, out: o.out }), printResult)));
}
