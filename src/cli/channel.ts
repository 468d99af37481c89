import type { Command } from 'commander';
import { withContext } from './context.js';
import { cliActor } from '../admin/audit.js';
import { output, printLine, printRecord, printTable } from './output.js';
import { addChannel, allowMerchants, listChannels, revokeOldSecret, rotateChannelSecret, showChannel } from '../registry/channels.js';

function printWithSecret(c: object): void {
  printRecord(c);
  printLine('(the secret is shown only now: store it in the channel\'s configuration)');
}

export function register(program: Command): void {
  const g = program.command('channel').description('acquiring channels');
  g.command('add').description('register a channel; prints its HMAC secret once')
    .requiredOption('--code <code>', 'channel code (the X-Channel-Id header)')
    .option('--name <name>', 'display name')
    .option('--merchants <codes>', 'comma-separated merchants it may submit for')
    .option('--fee-fixed <minor>', 'fee per approved financial transaction, minor units', '0')
    .option('--fee-bps <n>', 'fee in basis points of the stored-value amount', '0')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await addChannel(ctx, o, cliActor()), printWithSecret)));
  g.command('rotate-secret <code>').description('new secret; the old one stays valid for the overlap')
    .option('--overlap-hours <n>', 'hours the old secret stays valid', '24').option('--json', 'print JSON')
    .action((code, o) => withContext(async (ctx) => output(o.json, await rotateChannelSecret(ctx, code, o.overlapHours, cliActor()), printWithSecret)));
  g.command('revoke-old-secret <code>').description('end a rotation\'s overlap now: the previous secret stops working at once')
    .option('--json', 'print JSON')
    .action((code, o) => withContext(async (ctx) => output(o.json, await revokeOldSecret(ctx, code, cliActor()), printRecord)));
  g.command('allow <code>').description('let a channel submit for more merchants')
    .requiredOption('--merchants <codes>', 'comma-separated merchants').option('--json', 'print JSON')
    .action((code, o) => withContext(async (ctx) => output(o.json, await allowMerchants(ctx, code, o.merchants), printRecord)));
  g.command('list').description('list channels').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await listChannels(ctx), (r) => printTable(r, ['code', 'name', 'fee_fixed', 'fee_bps', 'merchants']))));
  g.command('show <code>').description('show one channel').option('--json', 'print JSON')
    .action((code, o) => withContext(async (ctx) => output(o.json, await showChannel(ctx, code), printRecord)));
}
