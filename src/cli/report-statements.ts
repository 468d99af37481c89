import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printTable } from './output.js';
import { writeStatements, type StatementsInput, type StatementsResult } from '../reports/statements.js';
import { yuan } from '../reports/people/format.js';

/** Options every file written for people takes (design §6b). */
export function peopleOptions(c: Command, defaults: { lang: string; amounts: string; encoding: string }): Command {
  return c
    .option('--encoding <encoding>', `utf8-bom, utf8 or gbk (default ${defaults.encoding})`)
    .option('--lang <lang>', `column names: zh or en (default ${defaults.lang})`)
    .option('--amounts <unit>', `yuan (exact two-decimal strings) or fen (default ${defaults.amounts})`)
    .option('--xlsx', 'write an Excel workbook instead of CSV');
}

function printResult(r: StatementsResult): void {
  printTable(r.statements.flatMap((s) => s.totals.map((t) => ({ merchant: s.merchant, lines: s.lines, currency: t.currency, amount: yuan(t.amount), commission: yuan(t.commission), net: yuan(t.net), file: s.file }))),
    ['merchant', 'lines', 'currency', 'amount', 'commission', 'net', 'file']);
}

/** purse report statements. */
export function register(g: Command): void {
  peopleOptions(g.command('statements').description('one statement file per merchant for a settled business date (for the merchant alone)')
    .requiredOption('--date <date>', 'settled business date YYYY-MM-DD')
    .option('--out <dir>', 'output directory (default batches/settlement/statements)'), { lang: 'zh', amounts: 'yuan', encoding: 'utf8-bom' })
    .option('--json', 'print JSON')
    .action((o: StatementsInput & { json?: boolean }) => withContext(async (ctx) => output(o.json, await writeStatements(ctx, o), printResult)));
}
