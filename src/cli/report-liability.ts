import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printLine, printTable } from './output.js';
import { liabilityReport, type LiabilityReport } from '../settlement/liability.js';
import { dateOption } from '../reports/options.js';

function printReport(r: LiabilityReport): void {
  printLine(`outstanding liability at the end of business date ${r.as_of} (aged by days since last activity)`);
  printTable(r.rows.map((row) => ({ ...row, ...row.aged })), ['issuer', 'program', 'asset', 'cards', 'outstanding', ...r.buckets]);
  printLine();
  printLine('totals:');
  printTable(r.totals, ['asset', 'cards', 'outstanding']);
  if (r.escheat.length > 0) {
    printLine();
    printLine('escheat (unclaimed, owed to the authorities):');
    printTable(r.escheat, ['issuer', 'asset', 'amount']);
  }
}

/** purse report liability. */
export function register(g: Command): void {
  g.command('liability').description('outstanding stored value and points per issuer, program and scheme, aged by last activity')
    .requiredOption('--as-of <date>', 'business date YYYY-MM-DD (any past date)')
    .option('--json', 'print JSON')
    .action((o: { asOf: string; json?: boolean }) => withContext(async (ctx) => output(o.json, await liabilityReport(ctx, { asOf: dateOption(o.asOf, '--as-of') }), printReport)));
}
