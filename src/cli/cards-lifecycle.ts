import type { Command } from 'commander';
import { withContext } from './context.js';
import { cliActor } from '../admin/audit.js';
import { output, printLine, printRecord, printTable } from './output.js';
import { changeCardStatus, showCard, type CardView, type StatusAction } from '../cards/lifecycle.js';
import { replaceCard } from '../cards/replace.js';
import { reactivateCard } from '../cards/reactivate.js';
import { cashOutCard } from '../cards/cash-out.js';
import { expireCards } from '../settlement/expiry.js';
import { setPin } from '../cards/pin.js';
import { readStdinLine } from './stdin.js';
import { UsageError } from '../errors.js';

interface RefOptions { cardId?: string; pan?: string; json?: boolean }

/** A command on one card, named by exactly one of --card-id and --pan (else a usage error, exit 2). */
function cardCommand(g: Command, name: string, description: string): Command {
  return g.command(name).description(description)
    .option('--card-id <id>', 'the card, by id')
    .option('--pan <pan>', 'the card, by card number (looked up by token, never printed)')
    .option('--json', 'print JSON')
    .hook('preAction', (cmd) => {
      const o = cmd.opts<RefOptions>();
      if ((o.cardId === undefined) === (o.pan === undefined)) throw new UsageError('name the card with exactly one of --card-id or --pan');
    });
}

const ref = (o: RefOptions) => ({ cardId: o.cardId, pan: o.pan });

function printCard(c: CardView): void {
  const { balance, points, holds, ...rest } = c;
  printRecord(rest);
  printLine(`balance: ledger ${balance.ledger}, held ${balance.held}, available ${balance.available} ${c.currency}`);
  for (const [scheme, n] of Object.entries(points)) printLine(`points ${scheme}: ${n}`);
  if (holds.length > 0) {
    printLine('open holds:');
    printTable(holds, ['id', 'asset', 'amount', 'remaining', 'expires_at']);
  }
}

/** purse cards show | freeze | unfreeze | mark-lost | replace | reactivate | cash-out | set-pin | expire. */
export function register(g: Command): void {
  cardCommand(g, 'show', 'show a card: masked number, status, expiry, balances, points, open holds')
    .action((o: RefOptions) => withContext(async (ctx) => output(o.json, await showCard(ctx, ref(o)), printCard)));

  const statusCommands: [string, StatusAction, string][] = [
    ['freeze', 'freeze', 'freeze an active card (transactions decline 62 until unfrozen)'],
    ['unfreeze', 'unfreeze', 'unfreeze a frozen card'],
    ['mark-lost', 'mark_lost', 'mark a card lost (transactions decline 41); replace it to move its balance'],
  ];
  for (const [name, action, description] of statusCommands) {
    cardCommand(g, name, description)
      .action((o: RefOptions) => withContext(async (ctx) => output(o.json, await changeCardStatus(ctx, ref(o), action, cliActor()), printRecord)));
  }

  cardCommand(g, 'replace', 'issue a replacement card and move the whole balance (value and points) to it; the new PAN goes only into the personalization file')
    .option('--out <file>', 'personalization file for the new card (default batches/out/<program>-replacement-<id>.csv)')
    .action((o: RefOptions & { out?: string }) => withContext(async (ctx) => output(o.json, await replaceCard(ctx, ref(o), { out: o.out }, cliActor()), (r) => {
      const { points, ...rest } = r;
      printRecord(rest);
      for (const [scheme, n] of Object.entries(points)) printLine(`points ${scheme}: ${n}`);
    })));

  cardCommand(g, 'reactivate', 'reactivate (extend) an expired card; restores value taken by breakage')
    .action((o: RefOptions) => withContext(async (ctx) => output(o.json, await reactivateCard(ctx, ref(o)), printRecord)));

  cardCommand(g, 'cash-out', 'pay out a named card\'s whole stored value through its issuer and close the card')
    .action((o: RefOptions) => withContext(async (ctx) => output(o.json, await cashOutCard(ctx, ref(o)), printRecord)));

  cardCommand(g, 'set-pin', 'set or reset the card\'s PIN (4-6 digits, read from the first line of standard input, never from the command line); clears the try counter')
    .action((o: RefOptions) => withContext(async (ctx) => output(o.json, await setPin(ctx, ref(o), await readStdinLine()), printRecord)));

  g.command('expire').description('mark cards past their expiry date as expired (the card-expiry job); value stays on the cards')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => withContext(async (ctx) => output(o.json, await expireCards(ctx), printRecord)));
}
