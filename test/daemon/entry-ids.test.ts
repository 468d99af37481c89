import { describe, expect, it } from 'vitest';
import { handlerCore } from '../helpers/handler-core.js';
import { queriesDuring } from '../helpers/queries.js';
import { purchase } from '../../src/daemon/handlers/purchase.js';
import type { Handler } from '../../src/daemon/handlers/types.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { balancedEntry } from '../../src/ledger/entry.js';

// Entry ids are taken ahead in the prefetch's message (one per message, three per message about
// points or an original). A batch that posts more takes the rest in one more round trip; every
// entry still gets an id, the row names the first, and the ledger balances.

// A purchase that posts two more (balanced) entries than a purchase does.
const moving: Handler = {
  ...purchase,
  decide: (dc) => {
    const out = purchase.decide(dc);
    const extra = () => balancedEntry('adjustment', [
      { account: 'revenue:merchant_commission', asset: 'CNY', amount: 1 }, { account: 'revenue:channel_fees', asset: 'CNY', amount: -1 },
    ], { occurredAt: dc.now });
    return out.entries ? { ...out, entries: [...out.entries, extra(), extra()] } : out;
  },
};
const { ctx, seed, post } = await handlerCore({ purchase: moving });

describe('entry ids taken ahead', () => {
  it('a batch posting more entries than were taken ahead takes the rest in one more round trip, and posts every entry once', async () => {
    await post({ request_id: 'ei-warm', type: 'purchase', card: seed.pans[0], amount: 100, merchant: 'M1', terminal: 'T1' }); // statements prepared
    let answer!: Awaited<ReturnType<typeof post>>;
    const sent = await queriesDuring(async () => {
      answer = await post({ request_id: 'ei-1', type: 'purchase', card: seed.pans[0], amount: 250, merchant: 'M1', terminal: 'T1' });
    });
    expect(answer.body).toMatchObject({ approved: true, response_code: '00', balance: { available: 10_000 - 100 - 250 } });
    expect(sent).toHaveLength(3); // prefetch with one id, the two more ids, the write
    expect(sent[1]).toMatch(/^execute "purse_batch_entry_ids"\(\$purse\$2\$purse\$\)$/);
    const { rows } = await ctx.db.pg.query<{ id: number; kind: string; first: boolean }>(`
      select e.id, e.kind, e.id = t.entry_id as first from transactions t join entries e on e.transaction_id = t.id
      where t.request_id = 'ei-1' order by e.id`);
    expect(rows.map((r) => [r.kind, r.first])).toEqual([['purchase', true], ['adjustment', false], ['adjustment', false]]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });
});
