/**
 * The settlement rows of the money-flows table (design §4). Settlement posts these set-based in
 * SQL (settlement/settle-post.ts through ledger/bulk.ts postPairedEntries: account +amount,
 * counter account −amount); these functions state the same legs for one party, for tests and any
 * single-party caller.
 */
import type { Posting } from '../entry.js';
import { account } from '../accounts.js';

/**
 * Settlement of a business date for party P (`merchant:<id>`, `channel:<id>`, `issuer:<id>`) whose
 * position (sum of its postings of the date) is `position`: party P −position; settled:P +position.
 */
export function settlePosition(x: { party: string; asset: string; position: number }): Posting[] {
  return [
    { account: x.party, asset: x.asset, amount: -x.position },
    { account: account.settled(x.party), asset: x.asset, amount: x.position },
  ];
}

/** A payment confirmation of `amount` to party P: settled:P −amount; bank +amount. */
export function payment(x: { party: string; asset: string; amount: number }): Posting[] {
  return [
    { account: account.settled(x.party), asset: x.asset, amount: -x.amount },
    { account: account.bank(), asset: x.asset, amount: x.amount },
  ];
}
