import type { Handler } from './types.js';
import { balance } from './balance.js';
import { activate } from './activate.js';
import { load } from './load.js';
import { purchase } from './purchase.js';
import { preauth } from './preauth.js';
import { capture } from './capture.js';
import { voidTxn } from './void.js';
import { reversal } from './reversal.js';
import { refund } from './refund.js';
import { POINTS_HANDLERS } from './points.js';

/**
 * The message types the daemon answers, by `type`: the stored-value types and the points types
 * (points.ts). A new type is a handler module added to this list; unknown types answer 400.
 */
export const HANDLERS: ReadonlyMap<string, Handler> = new Map(
  [balance, activate, load, purchase, preauth, capture, voidTxn, reversal, refund, ...POINTS_HANDLERS].map((h) => [h.type, h]),
);
