import { luhnValid } from '../cards/luhn.js';
import type { Key } from './prefetch.js';
import { keyOf, type WorkItem } from './work-item.js';

/** A message's own idempotency key. */
export const ownKey = (i: WorkItem) => keyOf(i.channel.id, i.msg.requestId);
/** The original's channel: the message's own, except for the management API's WEB-SEAT refunds (message.ts). */
export const originalChannel = (i: WorkItem) => i.msg.originalChannelId ?? i.channel.id;
/** The key of the original a message names (call only when namesOriginal). */
export const originalKey = (i: WorkItem) => keyOf(originalChannel(i), i.msg.originalRequestId!);
/** Whether a message names an original: capture, void, reversal, refund, and a points_earn linked to its purchase. */
export const namesOriginal = (i: WorkItem) => i.handler.needs.original && i.msg.originalRequestId !== null;
/** Whether the message's card is looked up by its PAN (a readable PAN of a card-bearing type from a permitted merchant). */
export const namesCard = (i: WorkItem) => i.handler.needs.card === 'message' && i.msg.card !== null && !i.merchant.refused && luhnValid(i.msg.card);

/**
 * The keys a batch's messages claim or read: their own, then the originals they name (distinct);
 * `reversalKeys`: positions of the originals named by a reversal.
 */
export function keysOf(items: readonly WorkItem[]): { keys: Key[]; reversalKeys: number[] } {
  const keys: Key[] = items.map((i) => ({ channelId: i.channel.id, requestId: i.msg.requestId }));
  const seen = new Set(items.map(ownKey));
  const reversalKeys: number[] = [];
  for (const i of items) {
    if (!namesOriginal(i) || seen.has(originalKey(i))) continue;
    seen.add(originalKey(i));
    if (i.msg.type === 'reversal') reversalKeys.push(keys.length);
    keys.push({ channelId: originalChannel(i), requestId: i.msg.originalRequestId! });
  }
  return { keys, reversalKeys };
}
