import type { Command } from 'commander';
import { output, printLine } from './output.js';
import { readStdinLine } from './stdin.js';
import { UsageError } from '../errors.js';
import { POS_TYPES, simulatePos, type DecodedAnswer } from '../iso/simulate.js';

interface PosCliOptions {
  host: string; port: string; merchant: string; terminal: string; card?: string; amount?: string; stan?: string; originalStan?: string;
  batch?: string; rrn?: string; pin?: string; of?: string; totals?: string; json?: boolean;
}

const int = (v: string | undefined, name: string, max: number): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new UsageError(`${name} must be an integer from 1 to ${max}`);
  return Number(v);
};

function print(a: DecodedAnswer, label: string): void {
  printLine(`${label}: ${a.mti} DE39 ${a.response_code ?? '-'}${a.message ? ` (${a.message})` : ''}`);
  for (const [k, v] of Object.entries(a.fields)) printLine(`  DE${k.padStart(2, '0')} ${v}`);
}

export function register(program: Command): void {
  program.command('pos <type>').description(`terminal simulator: sign on (TMK on standard input) and send one ISO 8583 transaction (${Object.keys(POS_TYPES).join(', ')})`)
    .requiredOption('--host <host>', 'ISO 8583 listener host').requiredOption('--port <port>', 'ISO 8583 listener port')
    .requiredOption('--merchant <code>', 'merchant code (DE42)').requiredOption('--terminal <code>', 'terminal code (DE41)')
    .option('--card <pan>', 'card number (DE2)').option('--amount <n>', 'amount in fen, or points for points-purchase (DE4)')
    .option('--stan <n>', 'STAN of the transaction (DE11; default random)').option('--original-stan <n>', 'the original\'s STAN (void, refund, completion, reversal)')
    .option('--batch <n>', 'batch number (60.2 and 61.1; default the one sign-on returns)').option('--rrn <rrn>', 'refund: the original\'s RRN (DE37)')
    .option('--pin <pin>', 'PIN, sent as a format-0 PIN block under the PIK').option('--of <type>', 'reversal: the type reversed (default purchase)')
    .option('--totals <list>', 'settle: debit amount,debit count,credit amount,credit count (default 0,0,0,0)')
    .option('--json', 'print JSON')
    .action(async (type: string, o: PosCliOptions) => {
      const totals = o.totals?.split(',').map(Number);
      if (totals && (totals.length !== 4 || totals.some((n) => !Number.isSafeInteger(n) || n < 0))) throw new UsageError('--totals must be four whole numbers');
      const tmk = await readStdinLine();
      const result = await simulatePos({
        host: o.host, port: int(o.port, '--port', 65535)!, merchant: o.merchant, terminal: o.terminal, type, tmk,
        card: o.card, amount: int(o.amount, '--amount', 999_999_999_999), stan: int(o.stan, '--stan', 999_999), originalStan: int(o.originalStan, '--original-stan', 999_999),
        batch: int(o.batch, '--batch', 999_999), rrn: o.rrn, pin: o.pin, of: o.of, totals: totals as [number, number, number, number] | undefined,
      });
      output(o.json, result, (r) => {
        print(r.sign_on, 'sign-on');
        print(r.answer, type);
      });
    });
}
