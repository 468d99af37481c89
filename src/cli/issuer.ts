import type { Command } from 'commander';
import { withContext } from './context.js';
import { cliActor } from '../admin/audit.js';
import { output, printRecord, printTable } from './output.js';
import { addIssuer, listIssuers, showIssuer, updateIssuer } from '../registry/issuers.js';
import { recordCustody } from '../registry/custody.js';

const COLUMNS = ['code', 'name', 'is_operator'];

export function register(program: Command): void {
  const g = program.command('issuer').description('card issuers');
  g.command('add').description('register an issuer')
    .requiredOption('--code <code>', 'issuer code').option('--name <name>', 'display name')
    .option('--operator', 'the platform itself (its breakage is revenue)')
    .option('--custody-class <class>', 'scale (20% in custody), group (30%), brand (40%) or other (none; default)')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await addIssuer(ctx, o, cliActor()), printRecord)));
  g.command('update').description('change an issuer\'s name or custody class')
    .requiredOption('--code <code>', 'issuer code').option('--name <name>', 'display name')
    .option('--custody-class <class>', 'scale, group, brand or other')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await updateIssuer(ctx, o, cliActor()), printRecord)));
  g.command('custody').description('record the custody balance an issuer holds for a quarter (replaces an earlier record)')
    .requiredOption('--issuer <code>', 'issuer code').requiredOption('--quarter <quarter>', 'YYYYQn')
    .requiredOption('--amount <fen>', 'custody balance in minor units (fen)')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await recordCustody(ctx, o, cliActor()), printRecord)));
  g.command('list').description('list issuers').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await listIssuers(ctx), (r) => printTable(r, COLUMNS))));
  g.command('show <code>').description('show one issuer').option('--json', 'print JSON')
    .action((code, o) => withContext(async (ctx) => output(o.json, await showIssuer(ctx, code), printRecord)));
}
