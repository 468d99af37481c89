/** The demo's cardholder (design §10): linked to the demo's named cards so they can be loaded and used in the API. */
import type { Context } from '../context.js';
import { cliActor } from '../admin/audit.js';
import { addHolder, linkCard } from './holders.js';
import { mobileIndex } from './pii.js';

/** Demo holder login: `POST /admin/v1/sessions {mobile, password}` with these (documented in the README). */
export const DEMO_HOLDER = { name: 'Demo Holder', id_type: 'other', id_number: 'DEMO-0001', mobile: '13800000000', password: 'demo holder password' } as const;

/** Creates the demo holder if missing and links every unlinked card of the named `program` to it. Idempotent. */
export async function linkDemoHolder(ctx: Context, program: string): Promise<void> {
  const found = await ctx.db.pg.query<{ id: number }>('select id from holders where mobile_index = $1', [mobileIndex(ctx.keys, DEMO_HOLDER.mobile)]);
  const id = found.rows[0]?.id ?? (await addHolder(ctx, DEMO_HOLDER, DEMO_HOLDER.password, cliActor())).holder.id;
  const { rows } = await ctx.db.pg.query<{ id: number }>(
    'select c.id from cards c join programs p on p.id = c.program_id where p.code = $1 and p.named and c.holder_id is null order by c.id', [program]);
  for (const c of rows) await linkCard(ctx, id, { cardId: c.id }, cliActor());
}
