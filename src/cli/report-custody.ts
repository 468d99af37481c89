import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printLine, printTable } from './output.js';
import { custodyReport, type CustodyReport } from '../reports/custody.js';
import { yuan } from '../reports/people/format.js';

const money = (v: number | null) => (v === null ? 'none' : yuan(v));

function printReport(r: CustodyReport): void {
  printLine(`prepaid custody for ${r.quarter} (${r.from} to ${r.to}); balances at the end of ${r.balance_date}; amounts in yuan`);
  printTable(r.rows.map((x) => ({
    ...x, ratio: x.ratio ?? 'none', outstanding: yuan(x.outstanding), required: money(x.required), custody: x.custody === null ? '' : yuan(x.custody),
    shortfall: x.shortfall === null ? '' : yuan(x.shortfall), value_loaded: yuan(x.value_loaded), value_redeemed: yuan(x.value_redeemed),
  })), ['issuer', 'issuer_name', 'custody_class', 'currency', 'outstanding', 'ratio', 'required', 'custody', 'shortfall', 'cards_issued', 'value_loaded', 'value_redeemed']);
}

/** purse report custody. */
export function register(g: Command): void {
  g.command('custody').description('prepaid custody per issuer (MOFCOM Order 2012 No. 9 art. 26) and the quarter\'s activity')
    .requiredOption('--quarter <quarter>', 'YYYYQn')
    .option('--json', 'print JSON (amounts in fen)')
    .action((o: { quarter: string; json?: boolean }) => withContext(async (ctx) => output(o.json, await custodyReport(ctx, o), printReport)));
}
