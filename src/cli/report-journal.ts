import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printLine, printTable } from './output.js';
import { writeJournal, type JournalInput, type JournalResult } from '../reports/journal.js';
import { yuan } from '../reports/people/format.js';

function printResult(r: JournalResult): void {
  printTable(r.vouchers.map((v) => ({ ...v, debit: yuan(v.debit), credit: yuan(v.credit) })), ['voucher_no', 'entry_kind', 'lines', 'debit', 'credit']);
  printLine();
  printTable(r.totals.map((t) => ({ ...t, debit: yuan(t.debit), credit: yuan(t.credit) })), ['currency', 'debit', 'credit']);
  printLine(`written: ${r.file}`);
}

/** purse report journal. */
export function register(g: Command): void {
  g.command('journal').description('a settled date\'s postings as accounting vouchers for the general ledger')
    .requiredOption('--date <date>', 'settled business date YYYY-MM-DD')
    .option('--mapping <file>', 'CSV account_class,entry_kind,gl_code,gl_name (default: the built-in mapping, see batches/examples/journal-mapping.csv)')
    .option('--out <dir>', 'output directory (default batches/settlement/journal)')
    .option('--encoding <encoding>', 'utf8-bom (default), utf8 or gbk')
    .option('--lang <lang>', 'language of the summary: zh (default) or en')
    .option('--amounts <unit>', 'yuan (default: exact two-decimal strings) or fen')
    .option('--xlsx', 'write an Excel workbook instead of CSV')
    .option('--json', 'print JSON')
    .action((o: JournalInput & { json?: boolean }) => withContext(async (ctx) => output(o.json, await writeJournal(ctx, o), printResult)));
}
