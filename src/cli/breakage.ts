import type { Command } from 'commander';
import { dateOption } from '../reports/options.js';
import { withContext } from './context.js';
import { output, printLine, printRecord, printTable } from './output.js';
import { DEFAULT_BREAKAGE_DIR, runBreakage, type BreakageRun } from '../settlement/breakage.js';
import { chargeDormancy } from '../settlement/dormancy.js';

function printRun(r: BreakageRun): void {
  printLine(`breakage as of ${r.as_of}${r.dry_run ? ' (dry run: nothing posted)' : `, run ${r.run_id}`}`);
  printLine(`remote: ${r.remote.cards} card(s), ${r.remote.amount} derecognised; escheat: ${r.remote.escheat_cards} card(s), ${r.remote.escheat_amount}`);
  printTable(r.remote.programs, ['program', 'breakage_method', 'kind', 'target', 'cards', 'amount']);
  printLine(`proportional: true-up ${r.proportional.true_up}`);
  printTable(r.proportional.cohorts, ['program', 'cohort', 'fully_expired', 'loaded', 'redeemed', 'rate_bps', 'rate_source',
    'expected_breakage', 'expected_redemptions', 'recognised_before', 'recognised_to_date', 'true_up']);
  if (r.points) printLine(`points expiry: ${r.points.points} points from ${r.points.lots} lot(s) on ${r.points.cards} card(s)`);
  printLine(`report: ${r.report.csv}, ${r.report.json}`);
}

/** purse breakage run | dormancy. */
export function register(program: Command): void {
  const g = program.command('breakage').description('residual value: breakage (remote and proportional), escheat, dormancy fees');
  g.command('run').description('apply each program\'s breakage method as of a business date and write the computation report')
    .requiredOption('--as-of <date>', 'business date YYYY-MM-DD (not after today)')
    .option('--dry-run', 'compute and write the report without posting')
    .option('--out <dir>', 'directory of the computation report', DEFAULT_BREAKAGE_DIR)
    .option('--json', 'print JSON')
    .action((o: { asOf: string; dryRun?: boolean; out: string; json?: boolean }) => withContext(async (ctx) =>
      output(o.json, await runBreakage(ctx, { asOf: dateOption(o.asOf, '--as-of'), dryRun: Boolean(o.dryRun), outDir: o.out }), printRun)));
  g.command('dormancy').description('charge this month\'s dormancy fee to dormant cards (programs with a dormancy period and fee)')
    .option('--as-of <date>', 'business date YYYY-MM-DD (default today)')
    .option('--dry-run', 'report without posting')
    .option('--json', 'print JSON')
    .action((o: { asOf?: string; dryRun?: boolean; json?: boolean }) => withContext(async (ctx) =>
      output(o.json, await chargeDormancy(ctx, { asOf: o.asOf === undefined ? undefined : dateOption(o.asOf, '--as-of'), dryRun: Boolean(o.dryRun) }), (r) => {
        const { programs, ...rest } = r;
        printRecord(rest);
        printTable(programs, ['program', 'cards', 'amount']);
      })));
}
