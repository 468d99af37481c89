import type { Logger } from '../logger.js';
import type { Message } from './message.js';
import type { Handler } from './handlers/types.js';
import type { ChannelInfo, MerchantInfo } from './registry-cache.js';
import type { ResponseCode } from './codes.js';

/** The response of design §5 to a processed message (stored for idempotency, returned verbatim to repeats). */
export interface TxnResponse {
  request_id: string;
  transaction_id: number | null;
  type: string;
  approved: boolean;
  response_code: ResponseCode;
  message: string;
  amount_requested: number | null;
  amount_approved: number;
  balance: { available: number; ledger: number; currency: string; points: Record<string, number> } | null;
  /** Points types only: what the message did beyond the amounts (points earned, exchange rate, prize, claw-back shortfall). */
  detail?: Record<string, unknown>;
}

/**
 * What processing a message produced: a response (new, or the stored one of an identical repeat),
 * or a conflict (the request_id was used with another body: 409).
 */
export type CoreResult =
  | { kind: 'response'; response: TxnResponse; replay: boolean }
  | { kind: 'conflict' };

/** One validated, authenticated message waiting for (or in) a batch. */
export interface WorkItem {
  msg: Message;
  handler: Handler;
  channel: ChannelInfo;
  /** The merchant and terminal named, when known; `refused` = 58 (unknown, foreign, or not this channel's). */
  merchant: { info: MerchantInfo | null; terminalId: number | null; refused: boolean };
  bodyHash: Buffer;
  /**
   * Citus only: the claim this daemon holds on the message's key (the id reserved for its row) and
   * on its original's key as a marker, once claimed: a message deferred to a later batch keeps them.
   */
  claim?: { id: number; markerId: number | null };
  log: Logger;
  resolve(result: CoreResult): void;
  reject(err: unknown): void;
}

/** Idempotency key of a message on a channel. */
export function keyOf(channelId: number, requestId: string): string {
  return `${channelId}\u0000${requestId}`;
}
