import { cardChecks } from './handlers/common.js';
import type { DecideContext, Outcome } from './handlers/types.js';
import type { WorkItem } from './work-item.js';

/**
 * Decides one message against the batch's locked state: the checks every card-bearing type shares
 * (58 merchant/terminal/channel, 14 card, 57 program not accepted by the merchant, then card status
 * and PIN), then the type's own handler. Types that name an original run their own checks on it.
 * A promise only for handlers that decide in the database (points) or undo such originals.
 */
export function decideOne(item: WorkItem, dc: DecideContext): Outcome | Promise<Outcome> {
  const h = item.handler;
  if (item.merchant.refused) return { code: '58' };
  if (!h.usesOriginal && h.fields.card !== 'unused') {
    if (!dc.card) return { code: '14' };
    const accepts = item.merchant.info?.programIds;
    if (h.checksProgram !== false && accepts && !accepts.has(dc.card.programId)) return { code: '57' };
    const refused = cardChecks(dc, h, dc.card);
    if (refused) return refused;
  }
  return h.decide(dc);
}
