import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printLine, printRecord, printTable } from './output.js';
import { readStdinLine } from './stdin.js';
import { cliActor } from '../admin/audit.js';
import { addHolder, forgetHolder, linkCard, queryHolders, showHolder, type HolderView } from '../holders/holders.js';
import { InputError } from '../errors.js';

const holderId = (raw: unknown, field = 'holder'): number => {
  const s = String(raw);
  if (!/^[1-9]\d{0,14}$/.test(s)) throw new InputError('invalid_holder', `${field} must be a holder id (a positive integer)`, field);
  return Number(s);
};

const human = (h: HolderView) => printRecord({ ...h, cards: h.cards.map((c) => `${c.id}:${c.masked}:${c.status}`) });

/** purse holder add | show | find | link | forget (design §10; personal data shown masked only). */
export function register(program: Command): void {
  const g = program.command('holder').description('cardholders (用户): personal data encrypted, shown masked');
  g.command('add').description('register a holder; the password is the first line of standard input, or with none a one-time password is printed once')
    .requiredOption('--name <name>', 'the holder\'s name')
    .requiredOption('--id-type <type>', 'resident_id | passport | other')
    .requiredOption('--id-number <number>', 'the ID document number')
    .requiredOption('--mobile <mobile>', 'mobile number (the cardholder logs in with it)')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => {
      const line = process.stdin.isTTY ? '' : await readStdinLine();
      const r = await addHolder(ctx, { name: o.name, id_type: o.idType, id_number: o.idNumber, mobile: o.mobile }, line === '' ? null : line, cliActor());
      output(o.json, { ...r.holder, ...(r.one_time_password ? { one_time_password: r.one_time_password } : {}) }, (v) => {
        human(r.holder);
        if (v.one_time_password) printLine(`one_time_password: ${v.one_time_password}  (shown once)`);
      });
    }));
  g.command('show <holder>').description('show a holder (masked) and its cards').option('--json', 'print JSON')
    .action((id: string, o) => withContext(async (ctx) => output(o.json, await showHolder(ctx, holderId(id)), human)));
  g.command('find').description('combined query (用户组合查询) by mobile, ID number, card last 4, program')
    .option('--mobile <mobile>').option('--id-number <number>').option('--card-last4 <digits>').option('--program <code>').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => {
      if (o.cardLast4 !== undefined && !/^\d{4}$/.test(o.cardLast4)) throw new InputError('invalid_last4', '--card-last4 must be 4 digits', 'card_last4');
      const rows = await queryHolders(ctx, { mobile: o.mobile, idNumber: o.idNumber, cardLast4: o.cardLast4, program: o.program, limit: 1000 });
      output(o.json, rows, (r) => printTable(r.map((h) => ({ ...h, cards: h.cards.map((c) => c.masked) })), ['id', 'name', 'id_type', 'id_number', 'mobile', 'forgotten', 'cards']));
    }));
  g.command('link').description('link a card to a holder').requiredOption('--holder <id>', 'holder id')
    .option('--card <pan>', 'the card number').option('--card-id <id>', 'the card id').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => {
      output(o.json, await linkCard(ctx, holderId(o.holder), { pan: o.card, cardId: o.cardId }, cliActor()), printRecord);
    }));
  g.command('forget <holder>').description('erase a holder\'s personal data (only when no card of the holder carries value)').option('--json', 'print JSON')
    .action((id: string, o) => withContext(async (ctx) => output(o.json, await forgetHolder(ctx, holderId(id), cliActor()), human)));
}
