import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printLine, printTable } from './output.js';
import { liabilityReport, type LiabilityReport } from '../settlement/liability.js';
import { dateOption } from '../reports/options.js';
import { toCsv } from '../reports/csv.js';
import { liabilityColumns, liabilityRows, liabilitySheets } from '../reports/people/report-sheets.js';
import { emitPeople, reportFormat, wantsPeople, withPeopleOptions, type PeopleCliOptions } from './people-output.js';

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

/** The aged rows as CSV (one column per age bucket), like the other reports' CSV. */
function printCsv(r: LiabilityReport): void {
  const columns = liabilityColumns(r);
  process.stdout.write(toCsv({ columns: columns.map((c) => c.key), amounts: new Set(columns.filter((c) => c.kind !== 'text').map((c) => c.key)) }, liabilityRows(r)));
}

/** purse report liability. */
export function register(g: Command): void {
  withPeopleOptions(g.command('liability').description('outstanding stored value and points per issuer, program and scheme, aged by last activity')
    .requiredOption('--as-of <date>', 'business date YYYY-MM-DD (any past date)')
    .option('--json', 'print JSON')
    .option('--csv', 'print the rows as CSV (one column per age bucket) instead of a table'))
    .action((o: { asOf: string; csv?: boolean } & PeopleCliOptions) => withContext(async (ctx) => {
      const asOf = dateOption(o.asOf, '--as-of');
      if (wantsPeople(o)) reportFormat(o);
      const r = await liabilityReport(ctx, { asOf });
      if (wantsPeople(o)) await emitPeople(ctx, o, liabilitySheets(r), r.as_of);
      else if (o.csv && !o.json) printCsv(r);
      else output(o.json, r, printReport);
    }));
}
