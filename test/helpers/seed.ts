import type { Context } from '../../src/context.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { createCard } from '../../src/cards/cards.js';
import { withTransaction } from '../../src/db/tx.js';
import { localDate } from '../../src/ledger/calendar.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';

export interface Basics { issuerId: number; programId: number; cardIds: number[]; pans: string[] }

/** An issuer, an anonymous stored-value program `SV` (BIN 622000) and `cards` active cards. */
export async function seedBasics(ctx: Context, cards = 3): Promise<Basics> {
  const issuer = await addIssuer(ctx, { code: 'ISS', name: 'Test Issuer' });
  const program = await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622000' });
  const cardIds: number[] = [];
  const pans: string[] = [];
  await withTransaction(ctx.db.pg, async (c) => {
    for (let i = 0; i < cards; i++) {
      const card = await createCard(c, ctx.keys, { ...program, activate_on_issue: true }, {
        issuedAt: ctx.clock.now(), issuedOn: localDate(ctx.clock.now(), ctx.calendar.timezone),
      });
      cardIds.push(card.id);
      pans.push(card.pan);
    }
  });
  return { issuerId: issuer.id, programId: program.id, cardIds, pans };
}

/** Loads `amount` onto each seeded card with one bulk_load entry per card (the issuer pays in), at the clock's time. */
export async function fundCards(ctx: Context, seed: Basics, amount: number): Promise<void> {
  await withTransaction(ctx.db.pg, async (c) => {
    const d = await openBusinessDate(c, ctx.clock.now(), ctx.calendar);
    await postEntries(c, d, seed.cardIds.map((id) => balancedEntry('bulk_load', [
      { account: account.cardValue(id), asset: 'CNY', amount },
      { account: account.issuer(seed.issuerId), asset: 'CNY', amount: -amount },
    ], { occurredAt: ctx.clock.now() })));
  });
}
