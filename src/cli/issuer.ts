import type { Command } from 'commander';
import { withContext } from './context.js';
import { cliActor } from '../admin/audit.js';
import { output, printRecord, printTable } from './output.js';
import { addIssuer, listIssuers, showIssuer } from '../registry/issuers.js';

const COLUMNS = ['code', 'name', 'is_operator'];

export function register(program: Command): void {
  const g = program.command('issuer').description('card issuers');
  g.command('add').description('register an issuer')
    .requiredOption('--code <code>', 'issuer code').option('--name <name>', 'display name')
    .option('--operator', 'the platform itself (its breakage is revenue)')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await addIssuer(ctx, o, cliActor()), printRecord)));
  g.command('list').description('list issuers').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await listIssuers(ctx), (r) => printTable(r, COLUMNS))));
  g.command('show <code>').description('show one issuer').option('--json', 'print JSON')
    .action((code, o) => withContext(async (ctx) => output(o.json, await showIssuer(ctx, code), printRecord)));
}
