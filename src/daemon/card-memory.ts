import type { RegistryCache } from './registry-cache.js';
import { programOf } from './batch-state.js';
import type { CardState } from './handlers/types.js';

/**
 * A card as a committed batch left it: every column of CardState read from the database (a field
 * added there must be added here, and compared by EXPECT_SQL), and every account.
 */
export type CardSnapshot = Readonly<Omit<CardState, 'program' | 'accounts' | 'patch'>> & {
  accounts: readonly { asset: string; balance: number; held: number }[];
};

/**
 * The cards the daemon's batches committed last, as they left them: what the one-round-trip path
 * (one-trip.ts) decides against before it has locked anything. Never trusted on its own: that
 * path's EXPECT_SQL compares each card, once locked, with its snapshot and rolls the batch back on
 * any difference (another writer: a load file, the hold-expiry job, a card command). Bounded: the
 * least recently remembered card is forgotten first.
 */
export class CardMemory {
  private readonly cards = new Map<number, CardSnapshot>();

  constructor(private readonly max = 100_000) {}

  /** Remembers cards as a committed batch left them (its in-memory states with their patches). */
  remember(states: Iterable<CardState>): void {
    for (const c of states) {
      this.cards.delete(c.id);
      if (c.accounts.size === 0) continue; // EXPECT_SQL locks cards through their accounts
      this.cards.set(c.id, snapshotOf(c));
      if (this.cards.size > this.max) this.cards.delete(this.cards.keys().next().value!);
    }
  }

  forget(cardIds: Iterable<number>): void {
    for (const id of cardIds) this.cards.delete(id);
  }

  get(cardId: number): CardSnapshot | undefined {
    return this.cards.get(cardId);
  }
}

/** A fresh CardState from a snapshot, with its program's current settings. */
export async function stateOf(s: CardSnapshot, registry: RegistryCache): Promise<CardState> {
  return {
    id: s.id, programId: s.programId, program: await programOf(registry, s), status: s.status, expiryDate: s.expiryDate, pinHmac: s.pinHmac, pinTries: s.pinTries,
    lastActivityAt: s.lastActivityAt, needsHolder: s.needsHolder, accounts: new Map(s.accounts.map((a) => [a.asset, { balance: a.balance, held: a.held }])), patch: {},
  };
}

function snapshotOf(c: CardState): CardSnapshot {
  return {
    id: c.id, programId: c.programId, status: c.patch.status ?? c.status, expiryDate: c.expiryDate, pinHmac: c.pinHmac,
    pinTries: c.patch.pinTries ?? c.pinTries, lastActivityAt: c.patch.lastActivityAt ?? c.lastActivityAt, needsHolder: c.needsHolder ?? false,
    accounts: [...c.accounts].map(([asset, a]) => ({ asset, balance: a.balance, held: a.held })).sort((a, b) => (a.asset < b.asset ? -1 : 1)),
  };
}

/** The parameters of EXPECT_SQL: the cards in lock order, then one row per account. */
export function expectValues(order: readonly number[], snapshots: readonly CardSnapshot[]): unknown[] {
  const rows = snapshots.flatMap((s) => s.accounts.map((a) => ({ s, a })));
  return [
    order, rows.map((r) => r.s.id), rows.map((r) => r.s.programId), rows.map((r) => r.s.status), rows.map((r) => r.s.expiryDate),
    rows.map((r) => r.s.pinHmac), rows.map((r) => r.s.pinTries), rows.map((r) => r.s.lastActivityAt), rows.map((r) => r.a.asset),
    rows.map((r) => r.a.balance), rows.map((r) => r.a.held), rows.map((r) => r.s.needsHolder ?? false),
  ];
}
