import type { Command } from 'commander';
import { withContext } from './context.js';
import { cliActor } from '../admin/audit.js';
import { output, printRecord, printTable } from './output.js';
import { addProgram, listPrograms, showProgram } from '../registry/programs.js';

export function register(program: Command): void {
  const g = program.command('program').description('card programs (products)');
  g.command('add').description('register a card program (PRC defaults: anonymous 100000 fen max and >= 36 months; named 500000 fen, no expiry)')
    .requiredOption('--code <code>', 'program code')
    .requiredOption('--issuer <code>', 'issuer code')
    .requiredOption('--bin <digits>', 'BIN/IIN prefix, 6-8 digits')
    .option('--name <name>', 'display name')
    .option('--kind <kind>', 'stored_value | points | combo', 'stored_value')
    .option('--currency <iso>', 'ISO 4217 currency', 'CNY')
    .option('--pan-length <n>', 'PAN length 16-19', '16')
    .option('--named', 'named (registered) cards: no expiry, 500000 fen default maximum')
    .option('--max-balance <minor>', 'maximum balance in minor units')
    .option('--validity-months <n>', 'card validity (anonymous cards, >= 36)')
    .option('--not-reloadable', 'cards cannot be loaded after issue')
    .option('--requires-pin', 'transactions need a PIN')
    .option('--activate-on-issue', 'cards are active when issued')
    .option('--hold-expiry-days <n>', 'pre-authorization hold lifetime', '7')
    .option('--issuance-fee <minor>', 'fee per card issued, charged to the issuer', '0')
    .option('--replacement-fee <minor>', 'fee per replacement card', '0')
    .option('--breakage-method <m>', 'remote | proportional', 'remote')
    .option('--breakage-grace-days <n>', 'days after expiry before remote breakage', '30')
    .option('--breakage-rate-bps <n>', 'configured breakage rate for the proportional method')
    .option('--escheat', 'unclaimed value is escheat (a liability), never revenue')
    .option('--dormancy-months <n>', 'months without activity before a card is dormant')
    .option('--dormancy-fee <minor>', 'monthly dormancy fee', '0')
    .option('--scheme <code>', 'points scheme (points and combo programs)')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await addProgram(ctx, {
      ...o, reloadable: !o.notReloadable, named: Boolean(o.named), requiresPin: Boolean(o.requiresPin),
      activateOnIssue: Boolean(o.activateOnIssue), escheat: Boolean(o.escheat),
    }, cliActor()), printRecord)));
  g.command('list').description('list programs').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await listPrograms(ctx),
      (r) => printTable(r, ['code', 'issuer', 'kind', 'currency', 'bin', 'named', 'max_balance', 'validity_months', 'scheme']))));
  g.command('show <code>').description('show one program').option('--json', 'print JSON')
    .action((code, o) => withContext(async (ctx) => output(o.json, await showProgram(ctx, code), printRecord)));
}
