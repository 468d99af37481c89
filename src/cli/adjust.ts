import type { Command } from 'commander';
import { withContext } from './context.js';
import { output } from './output.js';
import { printApproval } from './approvals.js';
import { operatorFromStdin } from './operator.js';
import { cliActor } from '../admin/audit.js';
import { requestAdjustment } from '../admin/adjustments.js';
import { UsageError } from '../errors.js';

/** purse adjust --card-id N --amount A --reason R --as USERNAME (maker-checker, design §10). */
export function register(program: Command): void {
  program.command('adjust').description('request a manual adjustment of a card (signed minor units against suspense:adjustments); pending until another finance operator approves')
    .requiredOption('--card-id <id>', 'the card')
    .requiredOption('--amount <minor>', 'signed amount in minor units (negative debits the card)')
    .requiredOption('--reason <text>', 'why (required)')
    .requiredOption('--as <username>', 'the finance operator making the request (password on standard input)')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => {
      if (!/^[1-9]\d{0,15}$/.test(o.cardId)) throw new UsageError('--card-id must be a positive integer');
      if (!/^-?[1-9]\d{0,15}$/.test(o.amount)) throw new UsageError('--amount must be a non-zero integer (minor units)');
      const maker = await operatorFromStdin(ctx, o.as);
      const actor = cliActor({ username: maker.username, role: maker.role, id: maker.operatorId });
      output(o.json, await requestAdjustment(ctx, maker, actor, { cardId: Number(o.cardId), amount: Number(o.amount), reason: o.reason }), printApproval);
    }));
}
