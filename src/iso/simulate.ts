import crypto from 'node:crypto';
import { InputError } from '../errors.js';
import type { IsoMessage } from './codec.js';
import { FIELDS } from './fields.js';
import { PosConnection, SimTerminal } from './client.js';
import { CODES } from '../daemon/codes.js';

/** The TYPEs of `purse pos` (design §5b) and the message-table row each sends. */
export const POS_TYPES: Readonly<Record<string, string>> = {
  balance: 'balance', purchase: 'purchase', void: 'void', refund: 'refund', preauth: 'preauth', 'preauth-void': 'preauth-void',
  completion: 'completion', 'completion-void': 'completion-void', load: 'load', 'points-balance': 'points-balance',
  'points-purchase': 'points-purchase', reversal: 'reversal', settle: 'settle',
};

export interface PosOptions {
  host: string; port: number; merchant: string; terminal: string; type: string; tmk: string;
  card?: string; amount?: number; stan?: number; originalStan?: number; batch?: number; rrn?: string; pin?: string;
  /** reversal: the type reversed (default purchase). */
  of?: string;
  /** settle: debit amount, debit count, credit amount, credit count. */
  totals?: [number, number, number, number];
}

/** A decoded answer as `purse pos` prints it: card data masked, binary fields as hex. */
export interface DecodedAnswer { mti: string; response_code: string | null; message: string | null; fields: Record<string, string> }

/** Decodes an answer for printing (DE2 masked to its last 4 digits; DE64 and other binary fields as hex). */
export function decodeAnswer(m: IsoMessage): DecodedAnswer {
  const fields: Record<string, string> = {};
  for (const no of [...m.fields.keys()].sort((a, b) => a - b)) {
    const v = m.fields.get(no)!;
    fields[String(no)] = FIELDS[no]!.secret ? `****${String(v).slice(-4)}` : Buffer.isBuffer(v) ? v.toString('hex').toUpperCase() : v;
  }
  const code = typeof m.fields.get(39) === 'string' ? (m.fields.get(39) as string) : null;
  return { mti: m.mti, response_code: code, message: code ? (CODES as Record<string, string>)[code] ?? null : null, fields };
}

/**
 * The terminal simulator of design §5b: connects, signs on with the TMK (checking the working
 * keys' check values), sends one transaction and returns the decoded answers of both.
 */
export async function simulatePos(o: PosOptions): Promise<{ sign_on: DecodedAnswer; answer: DecodedAnswer }> {
  if (!/^[0-9A-Fa-f]{32}$/.test(o.tmk.trim())) throw new InputError('invalid_key', 'the TMK on standard input must be 32 hexadecimal characters', 'tmk');
  if (!POS_TYPES[o.type]) throw new InputError('invalid_type', `TYPE must be one of ${Object.keys(POS_TYPES).join(', ')}`, 'type');
  const conn = await PosConnection.connect(o.host, o.port).catch((err: NodeJS.ErrnoException) => {
    throw new InputError('connect_failed', `cannot connect to ${o.host}:${o.port} (${err.code ?? err.message})`, 'port');
  });
  try {
    const t = new SimTerminal(conn, o.merchant, o.terminal, Buffer.from(o.tmk.trim(), 'hex'));
    // Sign-on takes the STAN just before the transaction's (a fresh random one when --stan is absent).
    t.stanFrom((o.stan ?? crypto.randomInt(2, 999_000)) - 1 || 999_999);
    const signOn = await t.signOn();
    if (signOn.fields.get(39) === '00' && !t.keysChecked) {
      throw new InputError('key_mismatch', 'the working keys of the sign-on do not match their check values: the TMK on standard input is not the terminal\'s', 'tmk');
    }
    if (o.batch !== undefined) t.batch = o.batch;
    let req: IsoMessage;
    if (o.type === 'settle') {
      const [da, dc, ca, cc] = o.totals ?? [0, 0, 0, 0];
      req = t.settlement(da, dc, ca, cc);
    } else if (o.type === 'reversal') {
      req = t.reversalOf(t.request(o.of ?? 'purchase', { card: o.card, amount: o.amount, stan: o.originalStan ?? o.stan }));
    } else {
      req = t.request(POS_TYPES[o.type]!, { card: o.card, amount: o.amount, stan: o.stan, pin: o.pin, originalStan: o.originalStan, originalBatch: o.batch, rrn: o.rrn });
    }
    const answer = signOn.fields.get(39) === '00' ? await t.send(req) : signOn;
    return { sign_on: decodeAnswer(signOn), answer: decodeAnswer(answer) };
  } finally {
    conn.close();
  }
}
