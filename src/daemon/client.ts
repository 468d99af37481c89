import { signBody } from './signature.js';
import { TemporaryError } from '../errors.js';

export interface SendInput {
  url: string;
  channel: string;
  secret: string;
  /** The message body as design §5 names its fields (request_id, type, card, amount, …). */
  body: Record<string, unknown>;
  /** Signing time (default now). */
  now?: Date;
}

/**
 * Signs a message as design §5 requires (X-Timestamp, X-Signature = hex HMAC-SHA256 of
 * `${timestamp}.${body}`) and POSTs it to `${url}/v1/transactions`. Returns the HTTP status and the
 * decoded JSON answer. Throws TemporaryError when the daemon cannot be reached.
 */
export async function sendTransaction(input: SendInput): Promise<{ status: number; body: unknown }> {
  const raw = JSON.stringify(input.body);
  const ts = String(Math.floor((input.now ?? new Date()).getTime() / 1000));
  let res: Response;
  try {
    res = await fetch(new URL('/v1/transactions', input.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-channel-id': input.channel, 'x-timestamp': ts, 'x-signature': signBody(input.secret, ts, raw) },
      body: raw,
    });
  } catch (err) {
    throw new TemporaryError(`cannot reach the daemon at ${input.url}`, err);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: return the text as is
  }
  return { status: res.status, body };
}
