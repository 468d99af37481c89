// A load file applied beside the daemon (issue 18): each chunk is a short transaction that locks
// few cards, only in its last statement, and in card id order (the order the daemon's prefetch
// locks them in); a balance raised between a chunk's decision and its credit makes the chunk run
// again with its cards locked first, never a card over its maximum.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { issuePans, loadState, readRejects, tempDir, writeLoadFile } from '../helpers/batch.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { loadCardsFile, type LoadSummary } from '../../src/batch/loads.js';
import { openBusinessDate } from '../../src/ledger/business-date.js';
import { postEntries } from '../../src/ledger/post.js';
import { balancedEntry } from '../../src/ledger/entry.js';
import { account } from '../../src/ledger/accounts.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const dir = tempDir();
const issuer = await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622000', activateOnIssue: true, maxBalance: 10_000 });
const pans = await issuePans(ctx, dir, 'SV', 260, 'B1'); // in card id order
const { rows: ids } = await ctx.db.pg.query<{ id: number }>('select id from cards order by id');
const idOf = new Map(pans.map((pan, i) => [pan, ids[i]!.id]));

/** A second session (what the daemon would be): its own connection, its own transaction. */
async function session(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: ctx.env.DATABASE_URL });
  await c.connect();
  return c;
}
const other = await session();
const observer = await session();
afterAll(async () => {
  await other.end();
  await observer.end();
});

/** Which of `cardIds` have their value account locked by another transaction right now. */
async function lockedOf(cardIds: number[]): Promise<number[]> {
  await observer.query('begin');
  const { rows } = await observer.query<{ card_id: number }>(
    'select card_id from card_accounts where card_id = any($1) for no key update skip locked', [cardIds]);
  await observer.query('rollback');
  const free = new Set(rows.map((r) => Number(r.card_id)));
  return cardIds.filter((id) => !free.has(id)).sort((a, b) => a - b);
}

/** Waits until the load's connection is blocked by `blocker` (a backend pid). */
async function blockedBy(blocker: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await observer.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [blocker]);
    if (rows[0]!.n > 0) return;
    await sleep(20);
  }
  throw new Error('the load never waited for the other session');
}

const pid = async (c: pg.Client) => (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

describe('purse cards load beside purchases: short chunks, cards locked last and in card id order', () => {
  it('locks, per chunk, only that chunk\'s cards, in card id order, and only once its entries are written', async () => {
    // 120 rows on the 120 highest card ids, written in DESCENDING card id order: locking in file
    // order would take the highest ids first.
    const cards = pans.slice(-120).reverse();
    const file = writeLoadFile(dir, 'order.csv', cards.map((pan, i): [string, number, string] => [pan, 100, `O-${i}`]));
    const chunk1 = cards.slice(0, 50).map((p) => idOf.get(p)!).sort((a, b) => a - b);
    const later = cards.slice(50).map((p) => idOf.get(p)!);
    const held = chunk1[24]!; // the median card of the first chunk

    await other.query('begin');
    await other.query('select 1 from card_accounts where card_id = $1 for no key update', [held]);
    const before = await loadState(ctx);
    const run = loadCardsFile(ctx, { file, chunkRows: 50 });
    run.catch(() => undefined);
    await blockedBy(await pid(other));
    // The chunk waits on the held card: it holds every card of the chunk below it, none above it,
    // and nothing of the later chunks.
    expect(await lockedOf(chunk1)).toEqual([...chunk1.slice(0, 24), held]);
    expect(await lockedOf(later)).toEqual([]);
    expect(await loadState(ctx)).toEqual(before);
    await other.query('rollback');

    const summary = (await run) as LoadSummary;
    expect(summary.applied).toEqual({ count: 120, amount: 12_000 });
    // Each chunk committed on its own: the references of one transaction name at most 50 cards.
    const { rows: chunks } = await ctx.db.pg.query<{ cards: number }>(`
      select count(distinct card_id)::int as cards from load_references where reference like 'O-%' group by xmin::text order by 1 desc`);
    expect(chunks.map((c) => c.cards)).toEqual([50, 50, 20]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('commits a file without --chunk-rows in transactions of at most 1,000 cards', async () => {
    const rows = Array.from({ length: 2_600 }, (_, i): [string, number, string] => [pans[i % pans.length]!, 1, `D-${i}`]);
    const file = writeLoadFile(dir, 'default.csv', rows);
    const summary = (await loadCardsFile(ctx, { file })) as LoadSummary;
    expect(summary.applied.count).toBe(2_600);
    const { rows: chunks } = await ctx.db.pg.query<{ rows: number }>(`
      select count(*)::int as rows from load_references where reference like 'D-%' group by xmin::text order by 1 desc`);
    expect(chunks.map((c) => c.rows)).toEqual([1_000, 1_000, 600]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('runs a chunk again with its cards locked first when a balance was raised between its decision and its credit', async () => {
    const [near, plain] = [pans[0]!, pans[1]!];
    const nearId = idOf.get(near)!;
    const { rows: [b] } = await ctx.db.pg.query<{ balance: number }>('select balance from card_accounts where card_id = $1', [nearId]);
    const room = 10_000 - Number(b!.balance);
    // The load decides on the balance it reads (room for 600), but another transaction credits the
    // card by room − 500 before the load can lock it: 600 no longer fits.
    const file = writeLoadFile(dir, 'race.csv', [[near, 600, 'R-1'], [plain, 700, 'R-2']]);
    await other.query('begin');
    const date = await openBusinessDate(other, ctx.clock.now(), ctx.calendar);
    await postEntries(other, date, [balancedEntry('bulk_load', [
      { account: account.cardValue(nearId), asset: 'CNY', amount: room - 500 },
      { account: account.issuer(issuer.id), asset: 'CNY', amount: -(room - 500) },
    ], { occurredAt: ctx.clock.now() })]);
    const run = loadCardsFile(ctx, { file });
    run.catch(() => undefined);
    await blockedBy(await pid(other));
    await other.query('commit');

    const summary = (await run) as LoadSummary;
    expect(summary.applied).toEqual({ count: 1, amount: 700 });
    expect(readRejects(file)).toMatchObject([{ line: 2, reference: 'R-1', reason: 'exceeds_max_balance' }]);
    const { rows: [after] } = await ctx.db.pg.query<{ balance: number }>('select balance from card_accounts where card_id = $1', [nearId]);
    expect(Number(after!.balance)).toBe(9_500);
    const { rows: refs } = await ctx.db.pg.query<{ reference: string }>(`select reference from load_references where reference like 'R-%'`);
    expect(refs.map((r) => r.reference)).toEqual(['R-2']);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });
});
