import type { Handler } from './types.js';
import { creditEntry, decline, withinMax } from './common.js';
import { REQUESTS } from '../message.js';

/** `load`: value paid in cash at the merchant (card +a; merchant −a; channel fee on a). Not reloadable 57; above the maximum 61. */
export const load: Handler = {
  type: 'load',
  schema: REQUESTS.load,
  needsPin: false,
  usesOriginal: false,
  decide(dc) {
    const card = dc.card!;
    const amount = dc.msg.amount!;
    if (!card.program.reloadable) return decline('57');
    if (!withinMax(card, amount)) return decline('61');
    const { entry, fee } = creditEntry('load', dc, card, dc.merchant!.id, amount);
    return { code: '00', amountApproved: amount, entries: [entry], channelFee: fee };
  },
};
