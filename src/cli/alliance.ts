import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printRecord, printTable } from './output.js';
import { addAlliance, listAlliances, showAlliance } from '../registry/alliances.js';

export function register(program: Command): void {
  const g = program.command('alliance').description('merchant points alliances');
  g.command('add').description('register an alliance')
    .requiredOption('--code <code>', 'alliance code').option('--name <name>', 'display name')
    .option('--scheme <code>', 'the alliance points scheme').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await addAlliance(ctx, o), printRecord)));
  g.command('list').description('list alliances').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await listAlliances(ctx), (r) => printTable(r, ['code', 'name', 'scheme', 'merchants']))));
  g.command('show <code>').description('show one alliance').option('--json', 'print JSON')
    .action((code, o) => withContext(async (ctx) => output(o.json, await showAlliance(ctx, code), printRecord)));
}
