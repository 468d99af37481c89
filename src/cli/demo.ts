import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printLine } from './output.js';
import { ensureDemo, type Demo } from '../demo.js';
import { maskPan } from '../cards/luhn.js';

/** How a newcomer sends a first signed transaction. */
export function firstContactHelp(demo: Demo, url: string, iso?: { host: string; port: number }): string[] {
  const card = demo.cards[0]!;
  const m = demo.merchants[0]!;
  return [
    `Demo channel ${demo.channel.code} (secret ${demo.channel.secret})`,
    `Merchants: ${demo.merchants.map((x) => `${x.code} [${x.terminals.map((t) => t.code).join(',')}]`).join(', ')}`,
    `Cards: ${demo.cards.map((c) => `${c.pan} (${c.program}, ${c.balance} fen)`).join(', ')}`,
    '',
    'Send a first signed balance inquiry:',
    `  node bin/purse send --url ${url} --channel ${demo.channel.code} --secret ${demo.channel.secret} \\`,
    `    --type balance --card ${card.pan} --merchant ${m.code} --terminal ${m.terminals[0]!.code}`,
    `(card ${maskPan(card.pan)} is a demo test card)`,
    ...posHelp(demo, iso),
  ];
}

/** The same first contact as a POS terminal over ISO 8583 (when the listener runs and the terminal has a TMK). */
function posHelp(demo: Demo, iso?: { host: string; port: number }): string[] {
  const m = demo.merchants[0]!;
  const t = m.terminals[0]!;
  if (!iso || !t.tmk) return [];
  return [
    '',
    'Or as a POS terminal over ISO 8583 (signs on with the terminal master key, then a purchase):',
    `  echo ${t.tmk} | node bin/purse pos --host ${iso.host} --port ${iso.port} --merchant ${m.code} --terminal ${t.code} \\`,
    `    purchase --card ${demo.cards[0]!.pan} --amount 100`,
  ];
}

export function register(program: Command): void {
  program.command('demo').description('create (idempotently) a demo set-up and print it').option('--json', 'print JSON')
    .option('--force', 'also in a database that holds non-demo channels')
    .action((o) => withContext(async (ctx) => {
      const demo = await ensureDemo(ctx, { force: o.force === true });
      output(o.json, demo, (d) => firstContactHelp(d, `http://${ctx.config.host}:${ctx.config.port}`).forEach((l) => printLine(l)));
    }));
}
