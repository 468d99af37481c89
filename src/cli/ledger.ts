import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printLine } from './output.js';
import { verifyLedger } from '../ledger/verify.js';

export function register(program: Command): void {
  const g = program.command('ledger').description('the double-entry ledger');
  g.command('verify').description('check the ledger invariants; exits 1 on any violation').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => {
      const report = await verifyLedger(ctx.db.pg);
      output(o.json, report, (r) => {
        printLine(`entries ${r.entries}, postings ${r.postings}, card accounts ${r.cardAccounts}`);
        for (const v of r.violations) printLine(`invariant ${v.invariant}: ${v.message}`);
        printLine(r.ok ? 'ledger OK: all invariants hold' : `ledger BROKEN: ${r.violations.length} violation(s)`);
      });
      if (!report.ok) process.exitCode = 1;
    }));
}
