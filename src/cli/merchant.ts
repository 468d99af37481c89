import type { Command } from 'commander';
import { withContext } from './context.js';
import { cliActor } from '../admin/audit.js';
import { output, printRecord, printTable } from './output.js';
import { addMerchant, addTerminal, listMerchants, listTerminals, showMerchant, showTerminal } from '../registry/merchants.js';

export function register(program: Command): void {
  const g = program.command('merchant').description('merchants');
  g.command('add').description('register a merchant')
    .requiredOption('--code <code>', 'merchant code')
    .option('--name <name>', 'display name')
    .option('--commission-bps <n>', 'commission on stored-value redemptions, basis points', '0')
    .option('--earn-scheme <code>', 'scheme the merchant awards points in')
    .option('--earn-rate <n>', 'points per 100 minor units spent (rounded down)')
    .option('--earn-cap <n>', 'most points per transaction')
    .option('--alliances <codes>', 'comma-separated alliances to join')
    .option('--programs <codes>', 'comma-separated accepted programs (default: all)')
    .option('--schemes <codes>', 'comma-separated extra accepted schemes')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await addMerchant(ctx, o, cliActor()), printRecord)));
  g.command('list').description('list merchants').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await listMerchants(ctx),
      (r) => printTable(r, ['code', 'name', 'commission_bps', 'earn_scheme', 'earn_rate', 'alliances', 'terminals']))));
  g.command('show <code>').description('show one merchant').option('--json', 'print JSON')
    .action((code, o) => withContext(async (ctx) => output(o.json, await showMerchant(ctx, code), printRecord)));

  const t = program.command('terminal').description('merchant terminals');
  t.command('add').description('register a terminal')
    .requiredOption('--merchant <code>', 'merchant code').requiredOption('--code <code>', 'terminal code (unique per merchant)')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await addTerminal(ctx, o, cliActor()), printRecord)));
  t.command('list').description('list terminals').option('--merchant <code>', 'only this merchant').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await listTerminals(ctx, o.merchant), (r) => printTable(r, ['merchant', 'code']))));
  t.command('show <merchant> <code>').description('show one terminal').option('--json', 'print JSON')
    .action((merchant, code, o) => withContext(async (ctx) => output(o.json, await showTerminal(ctx, merchant, code), printRecord)));
}
