import type http from 'node:http';
import type { Context } from '../context.js';
import { InputError, PurseError, TemporaryError } from '../errors.js';
import { mapDbError } from '../db/errors.js';
import { CODES } from './codes.js';
import { MessageFailedError, OverloadedError } from './batcher.js';
import type { TransactionCore } from './core.js';
import { parseMessage, type Message } from './message.js';
import { duplicateKey } from './json-keys.js';
import type { ChannelInfo } from './registry-cache.js';
import { signatureMatches, timestampFresh } from './signature.js';
import { lazyChild } from '../logger.js';
import { scrubPans } from '../cards/luhn.js';
import type { TxnResponse } from './work-item.js';

/** An HTTP answer: status, JSON body, extra headers. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const header = (req: http.IncomingMessage, name: string) => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

const unauthorized = (message: string): Answer => ({ status: 401, body: { error: { code: 'unauthorized', message } } });

/** Whether the presented signature matches the channel's secret, or its previous one during the rotation overlap. */
function signedBy(channel: ChannelInfo, ts: string, raw: Buffer, sig: string, now: Date): boolean {
  if (signatureMatches(channel.secret, ts, raw, sig)) return true;
  return channel.oldSecret !== null && channel.oldSecretUntil !== null && channel.oldSecretUntil > now && signatureMatches(channel.oldSecret, ts, raw, sig);
}

/**
 * POST /v1/transactions (design §5): authenticates the channel (X-Channel-Id, X-Timestamp within
 * ±300 s of the server clock, X-Signature), reads the JSON body into a Message (400 naming the
 * field or a duplicate key, nothing stored), hands it to the core and renders the result: 200 with
 * the response (new or stored), 409 for a reused request_id with another body, 503 + Retry-After
 * while the database is unavailable or the daemon is overloaded.
 */
export async function postTransaction(ctx: Context, core: TransactionCore, req: http.IncomingMessage, raw: Buffer): Promise<Answer> {
  const code = header(req, 'x-channel-id');
  const ts = header(req, 'x-timestamp');
  const sig = header(req, 'x-signature');
  if (!code || !ts || !sig) return unauthorized('X-Channel-Id, X-Timestamp and X-Signature are required');
  const now = ctx.clock.now();
  if (!timestampFresh(ts, now)) return unauthorized('X-Timestamp is not within 300 seconds of the server time');
  let msg: Message;
  let channel: ChannelInfo | null;
  try {
    channel = await core.registry.channel(code);
    if (!channel || !signedBy(channel, ts, raw, sig, now)) return unauthorized('unknown channel or bad signature');
    msg = parseMessage(readJson(raw), core.schemaOf);
  } catch (err) {
    return errorAnswer(err);
  }
  const log = lazyChild(ctx.logger, { request_id: msg.requestId, channel: channel.code, type: msg.type });
  try {
    const result = await core.process(msg, channel, log);
    if (result.kind === 'conflict') {
      return { status: 409, body: { error: { code: 'request_id_reused', message: 'request_id was already used with a different body', field: 'request_id' } } };
    }
    log.debug({ response_code: result.response.response_code, replay: result.replay }, 'transaction answered');
    if (msg.type === 'reversal' && result.response.response_code === '51' && !result.replay) {
      // Design §5: a load whose value is already spent is not reversed (nothing moved); reported for manual handling.
      log.warn({ original_request_id: msg.originalRequestId, transaction_id: result.response.transaction_id }, 'reversal refused: the value is already spent; needs manual handling');
    }
    const shortfall = result.response.detail?.shortfall;
    if (typeof shortfall === 'number' && shortfall > 0 && !result.replay) {
      // Design §4: a claw-back never takes a card's points below zero; the points it could not take are reported.
      log.warn({ original_request_id: msg.originalRequestId, transaction_id: result.response.transaction_id, shortfall }, 'points claw-back short: points already spent');
    }
    return { status: 200, body: result.response };
  } catch (err) {
    if (err instanceof MessageFailedError) return { status: 200, body: failed(msg) };
    log.warn({ err }, 'transaction not processed');
    return errorAnswer(err);
  }
}

/** Decodes the body: 400 naming `body` when it is not JSON, naming the key when an object repeats one. */
function readJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new InputError('invalid_json', 'body is not valid JSON', 'body');
  }
  const dup = typeof body === 'object' && body !== null ? duplicateKey(text) : null;
  if (dup !== null) {
    const name = scrubPans(dup.slice(0, 64));
    throw new InputError('duplicate_key', `duplicate key ${JSON.stringify(name)} in the body`, name);
  }
  return body;
}

/** 96: the message could not be processed (nothing stored; the channel may retry). */
function failed(msg: Message): TxnResponse {
  return {
    request_id: msg.requestId, transaction_id: null, type: msg.type, approved: false, response_code: '96', message: CODES['96'],
    amount_requested: msg.amount, amount_approved: 0, balance: null,
  };
}

/**
 * Maps an error to its HTTP answer: 400 for bad input, 503 for temporary trouble, else rethrows.
 * A database that refuses the daemon (credentials, database gone) is the operator's problem, not
 * the channel's: 503 like any other unavailability, never a 400.
 */
export function errorAnswer(raw: unknown): Answer {
  const err = mapDbError(raw);
  if (err instanceof OverloadedError) return { status: 503, body: { error: { code: 'overloaded', message: err.message } }, headers: { 'retry-after': '1' } };
  if (err instanceof TemporaryError) return { status: 503, body: { error: { code: 'unavailable', message: err.message } }, headers: { 'retry-after': '1' } };
  if (err instanceof PurseError && err.code === 'database_refused') return { status: 503, body: { error: { code: 'unavailable', message: 'database unavailable' } }, headers: { 'retry-after': '1' } };
  if (err instanceof PurseError && err.exitCode === 1) return { status: 400, body: { error: { code: err.code, message: err.message, field: err.field ?? null } } };
  throw err;
}
