import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterContext, clusterDatabase } from './helpers/db.js';
import { seedBasics } from '../test/helpers/seed.js';
import type { TestContext } from '../test/helpers/db.js';
import { issueCards } from '../src/cards/issue.js';
import { hasPanTokenTable } from '../src/cards/pan-tokens.js';

// Design §9 on Citus: cards are distributed by id, so the PAN's uniqueness lives in card_pan_tokens,
// distributed by the PAN token (migration 000241), written by every way a card is created.
describe('PAN uniqueness on the cluster', () => {
  let ctx: TestContext;
  let single: TestContext;
  beforeAll(async () => {
    ctx = await clusterContext(await clusterDatabase({ citus: true }));
    single = await clusterContext(await clusterDatabase({ citus: false }));
    await seedBasics(ctx, 3); // createCard, one card at a time
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-citus-pan-'));
    await issueCards(ctx, { program: 'SV', count: 300, out: path.join(out, 'cards.csv') }); // bulk issuance (COPY)
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('places the token table by the token and keeps a token for every card, naming its card', async () => {
    const { rows: [placed] } = await ctx.db.pg.query<{ col: string }>(
      `select column_to_column_name(logicalrelid, partkey) as col from pg_dist_partition where logicalrelid = 'card_pan_tokens'::regclass`);
    expect(placed!.col).toBe('pan_token');
    // Read apart (cards and tokens are placed by different columns) and compared here.
    const cards = await ctx.db.pg.query<{ token: string; id: string }>(`select encode(pan_token, 'hex') as token, id::text from cards order by 1`);
    const tokens = await ctx.db.pg.query<{ token: string; id: string }>(`select encode(pan_token, 'hex') as token, card_id::text as id from card_pan_tokens order by 1`);
    expect(cards.rows).toHaveLength(303);
    expect(tokens.rows).toEqual(cards.rows);
  });

  it('refuses a second card with a PAN another card has', async () => {
    const { rows: [first] } = await ctx.db.pg.query<{ token: Buffer; id: string }>('select pan_token as token, id::text from cards order by id limit 1');
    const err = await ctx.db.pg.query('insert into card_pan_tokens (pan_token, card_id) values ($1, $2)', [first!.token, Number(first!.id) + 1_000_000])
      .then(() => null, (e: unknown) => e as { code?: string; message: string });
    expect(err?.message).toMatch(/duplicate key value violates unique constraint/);
  });

  it('leaves a single server on the unique key of cards, without the table', async () => {
    expect(await hasPanTokenTable(ctx.db.pg)).toBe(true);
    expect(await hasPanTokenTable(single.db.pg)).toBe(false);
    const { rows } = await single.db.pg.query(`select 1 from pg_constraint where conname = 'cards_pan_token_key' and contype = 'u'`);
    expect(rows).toHaveLength(1);
  });
});
