import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printRecord } from './output.js';
import { readStdinLine } from './stdin.js';
import { setTerminalKey } from '../iso/terminal-keys.js';

/** `purse terminal set-key`: added to the `terminal` group of merchant.ts (registered before this file). */
export function register(program: Command): void {
  const t = program.commands.find((c) => c.name() === 'terminal') ?? program.command('terminal').description('merchant terminals');
  t.command('set-key').description('load a terminal master key (32 hex characters from standard input; prints its check value)')
    .requiredOption('--merchant <code>', 'merchant code').requiredOption('--code <code>', 'terminal code')
    .option('--mac <alg>', 'MAC algorithm of the terminal: cup (CUP ECB, default) or x919', 'cup')
    .option('--json', 'print JSON')
    .action((o: { merchant: string; code: string; mac: string; json?: boolean }) => withContext(async (ctx) => {
      const tmk = await readStdinLine();
      output(o.json, await setTerminalKey(ctx, { merchant: o.merchant, code: o.code, tmk, macAlg: o.mac }), printRecord);
    }));
}
