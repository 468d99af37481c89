import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmptyDatabase } from '../helpers/empty-db.js';
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrate.js';

// Migration 000100 copies each entry's scheme and, for a void or reversal, the kind it undoes onto
// its postings. Entries written before it may not name either in their memo: the backfill reads
// them from the entries, an undo's scheme from its original.
describe('migration 000100 (postings.scheme, postings.reverses_kind)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  /** A migrations directory with the project's migrations before version `before`. */
  function migrationsBefore(before: number): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'purse-migrations-'));
    dirs.push(dir);
    for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => Number(f.slice(0, 6)) < before)) {
      fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
    }
    return dir;
  }

  it('backfills the postings written before it, then refuses a void not naming what it undoes and a purchase naming it', async () => {
    const url = await createEmptyDatabase();
    await migrate(url, undefined, migrationsBefore(100));
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      // 1 purchase, 2 its void (old memo: none), 3 a points earn, 4 its reversal (old memo: the
      // kind only), 5 a claw-back of the earn (no scheme in its memo). One statement per entry:
      // the postings trigger checks each statement balances.
      await c.query(`insert into entries (id, kind, business_date, occurred_at, reverses_entry_id, memo) values
        (1, 'purchase', '2026-03-10', now(), null, null),
        (2, 'void', '2026-03-10', now(), 1, null),
        (3, 'points_earn', '2026-03-10', now(), null, '{"scheme": "GOLD"}'),
        (4, 'reversal', '2026-03-10', now(), 3, '{"reverses": "points_earn"}'),
        (5, 'points_clawback', '2026-03-10', now(), 3, '{"points": 5}')`);
      const legs: [number, string, string, string, number][] = [
        [1, 'purchase', 'card:1:value', 'CNY', -100], [1, 'purchase', 'merchant:1', 'CNY', 100],
        [2, 'void', 'card:1:value', 'CNY', 100], [2, 'void', 'merchant:1', 'CNY', -100],
        [3, 'points_earn', 'card:1:points:GOLD', 'PTS:GOLD', 10], [3, 'points_earn', 'scheme:1:issued', 'PTS:GOLD', -10],
        [4, 'reversal', 'card:1:points:GOLD', 'PTS:GOLD', -10], [4, 'reversal', 'scheme:1:issued', 'PTS:GOLD', 10],
        [5, 'points_clawback', 'card:1:points:GOLD', 'PTS:GOLD', -5], [5, 'points_clawback', 'scheme:1:issued', 'PTS:GOLD', 5],
      ];
      for (const id of [1, 2, 3, 4, 5]) {
        const mine = legs.filter((l) => l[0] === id);
        await c.query(`
          insert into postings (entry_id, entry_kind, account, asset, amount, card_id, business_date)
          select e, k, a, s, m, case when a like 'card:%' then 1 end, '2026-03-10'
          from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[]) as l(e, k, a, s, m)`,
        [mine.map((l) => l[0]), mine.map((l) => l[1]), mine.map((l) => l[2]), mine.map((l) => l[3]), mine.map((l) => l[4])]);
      }

      await migrate(url);
      const { rows } = await c.query<{ entry_id: string; scheme: string | null; reverses_kind: string | null }>(
        'select distinct entry_id, scheme, reverses_kind from postings order by entry_id');
      expect(rows).toEqual([
        { entry_id: '1', scheme: null, reverses_kind: null },
        { entry_id: '2', scheme: null, reverses_kind: 'purchase' },
        { entry_id: '3', scheme: 'GOLD', reverses_kind: null },
        { entry_id: '4', scheme: 'GOLD', reverses_kind: 'points_earn' },
        { entry_id: '5', scheme: 'GOLD', reverses_kind: null },
      ]);

      await c.query(`insert into entries (id, kind, business_date, occurred_at, reverses_entry_id) values (6, 'void', '2026-03-10', now(), 1)`);
      await expect(c.query(`
        insert into postings (entry_id, entry_kind, account, asset, amount, card_id, business_date)
        values (6, 'void', 'card:1:value', 'CNY', 100, 1, '2026-03-10'), (6, 'void', 'merchant:1', 'CNY', -100, null, '2026-03-10')`))
        .rejects.toMatchObject({ constraint: 'postings_undo_names_original' });
      await c.query(`insert into entries (id, kind, business_date, occurred_at) values (7, 'purchase', '2026-03-10', now())`);
      await expect(c.query(`
        insert into postings (entry_id, entry_kind, account, asset, amount, card_id, business_date, reverses_kind)
        values (7, 'purchase', 'card:1:value', 'CNY', -100, 1, '2026-03-10', 'load'), (7, 'purchase', 'merchant:1', 'CNY', 100, null, '2026-03-10', 'load')`))
        .rejects.toMatchObject({ constraint: 'postings_undo_names_original' });
    } finally {
      await c.end();
    }
  });
});
