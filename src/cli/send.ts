import crypto from 'node:crypto';
import type { Command } from 'commander';
import { sendTransaction } from '../daemon/client.js';
import { printJson } from './output.js';
import { UsageError } from '../errors.js';

interface SendOptions {
  url: string; channel: string; secret?: string; type: string; requestId?: string; card?: string; amount?: string; merchant?: string;
  terminal?: string; originalRequestId?: string; partial?: boolean; pin?: string; scheme?: string; toScheme?: string; game?: string;
  currency?: string;
}

/** Builds the message body from the options (only the fields given) and sends it; exit 0 on HTTP 200, 1 otherwise. */
export async function send(o: SendOptions): Promise<void> {
  const secret = o.secret ?? process.env.PURSE_CHANNEL_SECRET;
  if (!secret) throw new UsageError('--secret (or PURSE_CHANNEL_SECRET) is required');
  if (o.amount !== undefined && !/^\d{1,15}$/.test(o.amount)) throw new UsageError('--amount must be a whole number of minor units');
  const body: Record<string, unknown> = { request_id: o.requestId ?? `cli-${crypto.randomBytes(8).toString('hex')}`, type: o.type };
  if (o.card !== undefined) body.card = o.card;
  if (o.amount !== undefined) body.amount = Number(o.amount);
  if (o.merchant !== undefined) body.merchant = o.merchant;
  if (o.terminal !== undefined) body.terminal = o.terminal;
  if (o.originalRequestId !== undefined) body.original_request_id = o.originalRequestId;
  if (o.partial) body.partial = true;
  if (o.pin !== undefined) body.pin = o.pin;
  if (o.scheme !== undefined) body.scheme = o.scheme;
  if (o.toScheme !== undefined) body.to_scheme = o.toScheme;
  if (o.game !== undefined) body.game = o.game;
  if (o.currency !== undefined) body.currency = o.currency;
  const res = await sendTransaction({ url: o.url, channel: o.channel, secret, body });
  printJson(res.body);
  if (res.status !== 200) {
    console.error(`HTTP ${res.status}`);
    process.exitCode = 1;
  }
}

export function register(program: Command): void {
  program.command('send').description('sign and send one transaction to a running daemon; prints the JSON answer')
    .requiredOption('--url <url>', 'daemon base URL, e.g. http://127.0.0.1:8080')
    .requiredOption('--channel <code>', 'channel code (X-Channel-Id)')
    .option('--secret <secret>', 'channel HMAC secret (default: PURSE_CHANNEL_SECRET)')
    .requiredOption('--type <type>', 'balance, activate, load, purchase, preauth, capture, void, reversal, refund, …')
    .option('--request-id <id>', 'idempotency key (default: a random one)')
    .option('--card <pan>', 'card number')
    .option('--amount <minor>', 'amount in minor units')
    .option('--merchant <code>', 'merchant code')
    .option('--terminal <code>', 'terminal code')
    .option('--original-request-id <id>', 'original request_id (capture, void, reversal, refund)')
    .option('--partial', 'approve up to the available balance')
    .option('--pin <pin>', 'PIN, when the program requires one')
    .option('--scheme <code>', 'points scheme')
    .option('--to-scheme <code>', 'target points scheme (exchange)')
    .option('--game <code>', 'lottery game')
    .option('--currency <code>', 'ISO 4217 currency of the amount (declined 13 when not the program currency)')
    .action((o: SendOptions) => send(o));
}
