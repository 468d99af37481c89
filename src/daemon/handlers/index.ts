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

/**
 * The message types the daemon answers, by `type`. A new type (points_earn, …) is a handler
 * module added to this list; unknown types answer 400.
 */
export const HANDLERS: ReadonlyMap<string, Handler> = new Map(
  [balance, activate, load, purchase, preauth, capture, voidTxn, reversal, refund].map((h) => [h.type, h]),
);
