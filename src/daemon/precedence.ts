import crypto from 'node:crypto';
import { pinHmac } from '../cards/vault.js';
import { decline } from './handlers/common.js';
import type { CardState, DecideContext, Handler, Outcome } from './handlers/types.js';

/** PIN tries allowed before the card answers 75. */
export const MAX_PIN_TRIES = 3;

/**
 * The order of checks of design §5 ("Precedence"), implemented once. The front ends answer 400
 * and 401, the prefetch finds repeats of a key (stored answer or 409); then, for every message:
 *
 *   58 merchant, terminal or channel permission  (checkMessage)
 *   25 original not found                         (the types naming one: handlers/original.ts)
 *   14 card unknown or bad Luhn                  (checkMessage, for a card named by PAN)
 *   41 lost → 62 frozen or not active → 54 expired → 57 type or program not permitted (the
 *   merchant does not accept the program; a named program's card without a holder, design §10)
 *   → 75 PIN tries exhausted → 55 wrong PIN → 13 currency   (checkCard)
 *   13 amount, 51 funds or points, 61 program maximum, 00/10  (each type's `decide`, in that order)
 *
 * A reversal skips the card checks: a reversal of a processed original is always answered 00
 * (or 12 after its date is settled) whatever the card's state now.
 */
export function checkMessage(dc: DecideContext, handler: Handler, refused: boolean): Outcome | null {
  if (refused) return decline('58');
  if (handler.needs.card !== 'message') return null;
  if (!dc.card) return decline('14');
  return checkCard(dc, handler, dc.card);
}

/**
 * The card checks in precedence order (see above) for a known card: lost 41; not active 62
 * (issued, frozen, closed; `activate` accepts issued); expired 54 (status, or expiry date before
 * the business date; not for `balance`); program not accepted by the merchant 57; a card of a named
 * program with no linked holder 57 for the types that require one (activate, load); PIN 75/55 where
 * the handler and the program require it (a wrong PIN counts a try, a missing one does not; the
 * try counter changes in the batch's memory and is written with it); a `currency` other than the
 * program's 13. Returns the decline, or null when the message may proceed to its type's decision.
 */
export function checkCard(dc: DecideContext, handler: Handler, card: CardState): Outcome | null {
  if (handler.skipStatus === 'all') return null;
  if (card.status === 'lost') return decline('41');
  const activating = handler.type === 'activate' && card.status === 'issued';
  if (!activating && card.status !== 'active' && card.status !== 'expired') return decline('62');
  const expired = card.status === 'expired' || (card.expiryDate !== null && card.expiryDate < dc.businessDate);
  if (expired && handler.skipStatus !== 'expiry') return decline('54');
  const accepts = dc.merchant?.programIds;
  if (handler.needs.card === 'message' && handler.checksProgram !== false && accepts && !accepts.has(card.programId)) return decline('57');
  if (handler.requiresHolder && card.needsHolder) return decline('57');
  const pin = checkPin(dc, handler, card);
  if (pin) return pin;
  if (dc.msg.currency !== null && dc.msg.currency !== card.program.currency) return decline('13');
  return null;
}

function checkPin(dc: DecideContext, handler: Handler, card: CardState): Outcome | null {
  if (!handler.needsPin || !card.program.requiresPin) return null;
  if (card.pinTries >= MAX_PIN_TRIES) return decline('75', { showBalance: false });
  // No PIN sent (a terminal that did not ask for one): nothing was tried, so no try is counted.
  if (dc.msg.pin === null) return decline('55', { showBalance: false });
  const ok = card.pinHmac !== null && crypto.timingSafeEqual(pinHmac(dc.keys, card.id, dc.msg.pin), card.pinHmac);
  if (!ok) {
    card.pinTries += 1;
    card.patch.pinTries = card.pinTries;
    return decline(card.pinTries >= MAX_PIN_TRIES ? '75' : '55', { showBalance: false });
  }
  if (card.pinTries > 0) {
    card.pinTries = 0;
    card.patch.pinTries = 0;
  }
  return null;
}
