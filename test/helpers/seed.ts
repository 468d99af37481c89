import type { Context } from '../../src/context.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { createCard } from '../../src/cards/cards.js';
import { withTransaction } from '../../src/db/tx.js';
import { localDate } from '../../src/settlement/calendar.js';

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
