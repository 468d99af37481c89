import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printLine, printRecord, printTable } from './output.js';
import { addScheme, listRates, listSchemes, setRate, showScheme } from '../registry/schemes.js';
import { showRate } from '../points/rates.js';

export function register(program: Command): void {
  const g = program.command('scheme').description('points schemes (prices in minor units per point, up to 4 decimals)');
  g.command('add').description('register a points scheme')
    .requiredOption('--code <code>', 'scheme code (asset PTS:<code>)')
    .option('--name <name>', 'display name')
    .option('--currency <iso>', 'currency of its prices', 'CNY')
    .requiredOption('--issue-price <minor>', 'what a merchant pays per point it awards, e.g. 1.2')
    .requiredOption('--redemption-value <minor>', 'what a merchant receives per point redeemed, e.g. 1')
    .option('--sale-price <minor>', 'price of points sold to cardholders (default: issue price)')
    .option('--validity-months <n>', 'months a points lot stays valid (default: never expires)')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await addScheme(ctx, o), printRecord)));
  g.command('list').description('list schemes').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await listSchemes(ctx),
      (r) => printTable(r, ['code', 'name', 'currency', 'issue_price', 'redemption_value', 'sale_price', 'validity_months']))));
  g.command('show <code>').description('show one scheme').option('--json', 'print JSON')
    .action((code, o) => withContext(async (ctx) => output(o.json, await showScheme(ctx, code), printRecord)));

  const r = program.command('rate').description('exchange rates between schemes');
  r.command('set').description('publish a rate: <rate> points of --to per point of --from, from --effective-at')
    .requiredOption('--from <code>', 'source scheme').requiredOption('--to <code>', 'target scheme')
    .requiredOption('--rate <decimal>', 'target points per source point, up to 6 decimals')
    .option('--effective-at <iso8601>', 'when the rate comes into force (default now)')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await setRate(ctx, o), printRecord)));
  r.command('list').description('list published rates').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await listRates(ctx), (rows) => printTable(rows, ['from', 'to', 'rate', 'effective_at']))));
  r.command('show').description('the rate an exchange --from → --to uses at --at (default now), and every version of the pair')
    .requiredOption('--from <code>', 'source scheme').requiredOption('--to <code>', 'target scheme')
    .option('--at <iso8601>', 'the request time to judge (YYYY-MM-DD = midnight business time; default now)')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await showRate(ctx, o), (view) => {
      printLine(`${view.from} → ${view.to} at ${view.at}: ${view.in_force ? `${view.in_force.rate} (in force since ${view.in_force.effective_at})` : 'no rate in force'}`);
      printLine();
      printTable(view.versions, ['rate', 'effective_at']);
    })));
}
