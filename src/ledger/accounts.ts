/** Account and asset names of design §4. One place builds them; nothing else concatenates account strings. */

export type RevenueKind =
  | 'merchant_commission' | 'channel_fees' | 'card_fees' | 'dormancy_fees' | 'breakage'
  | 'points_spread' | 'points_breakage' | 'lottery';

export const account = {
  cardValue: (cardId: number) => `card:${cardId}:value`,
  cardPoints: (cardId: number, scheme: string) => `card:${cardId}:points:${scheme}`,
  merchant: (id: number) => `merchant:${id}`,
  channel: (id: number) => `channel:${id}`,
  issuer: (id: number) => `issuer:${id}`,
  schemeFloat: (id: number) => `scheme:${id}:float`,
  schemeIssued: (id: number) => `scheme:${id}:issued`,
  revenue: (kind: RevenueKind) => `revenue:${kind}`,
  escheat: (issuerId: number) => `escheat:${issuerId}`,
  settled: (party: string) => `settled:${party.replace(':', '_')}`,
  bank: () => 'bank',
  /** Suspense: the other side of manual adjustments until finance clears them (design §10). */
  suspense: (what: 'adjustments') => `suspense:${what}`,
  memo: (...parts: (string | number)[]) => `memo:${parts.join(':')}`,
};

/** The ledger asset of a points scheme. */
export const pointsAsset = (schemeCode: string) => `PTS:${schemeCode}`;

/** The card id a card account belongs to, or null for any other account. */
export function cardIdOf(accountName: string): number | null {
  const m = /^card:(\d+):/.exec(accountName);
  return m ? Number(m[1]) : null;
}
