import type pg from 'pg';
import { account } from '../ledger/accounts.js';
import { postCardCredits } from '../ledger/bulk.js';
import { ROWS_TABLE } from './load-file.js';
import type { RejectReason } from './load-row.js';
import type { RejectRow } from './rejects.js';

// Temporary tables of one load run, next to ROWS_TABLE; they vanish with the run's connection.
const WORK = 'purse_load_work';
const PREV = 'purse_load_prev';
// A chunk's decided credits: emptied by every commit (ON COMMIT DELETE ROWS truncates it in place,
// where a TRUNCATE per chunk gave the table a new file and wrote its catalog row each time).
const CREDIT = 'purse_load_credit';
// A dry run's credits so far per card account: it writes nothing, so the balances the next chunk
// decides on are the accounts' plus these (empty in a real run).
const DRY = 'purse_load_dry';

/**
 * A file of fewer rows than the cards table divided by this looks its cards up one index probe per
 * row; a larger one hashes the cards table once. Hashing costs about 0.6 µs per card, a probe
 * about 3 µs per row: a 10,000-row file against 100,000 cards hashed all 100,000 of them (60 ms
 * of the load's backend), against 1,000,000 cards ten times that.
 */
const PROBE_RATIO = 5;
/** For the rest of the transaction: join by index probes (the plans PROBE_RATIO chooses). */
const NO_HASH = 'set local enable_hashjoin = off; set local enable_mergejoin = off';

/** What one chunk of rows came to. */
export interface ChunkResult {
  applied: { count: number; amount: number };
  alreadyApplied: { count: number; amount: number };
  rejects: RejectRow[];
}

/**
 * Resolves every staged row against the database once, set-based: its card (by pan token), the
 * card's program and issuer, and the first line of the file carrying the same reference for the
 * same issuer (first occurrence wins), and the earlier application of its reference, if any;
 * `byCardId`: the file names cards by id (a card_id column) instead of by number. `rows` is the
 * number of staged rows (it chooses between probing and hashing the cards table). Creates the
 * per-chunk work tables. Returns the ledger account of each issuer the file touches.
 */
export async function prepareWork(client: pg.ClientBase, rows: number, byCardId = false): Promise<Map<number, string>> {
  // One join of the staged rows with cards, and one sort for the duplicate window, instead of a
  // probe per row per chunk; work_mem is raised for this session so 1,000,000 rows sort in memory.
  // The planner, costing index probes as uncached page reads, hashes the whole cards table even
  // for a small file: below PROBE_RATIO it is told not to (statistics: `pg_class.reltuples`, kept
  // by the ANALYZE after each bulk command). The duplicate window compares references byte-wise
  // (COLLATE "C": the same equality as the database's deterministic collation, at half the sort's
  // cost under a libc locale such as C.UTF-8).
  const { rows: [size] } = await client.query<{ cards: number; refs: number }>(`
    select greatest((select reltuples from pg_class where oid = 'cards'::regclass), 0)::float8 as cards,
           greatest((select reltuples from pg_class where oid = 'load_references'::regclass), 0)::float8 as refs`);
  await client.query('begin');
  if (rows * PROBE_RATIO < size!.cards) await client.query(NO_HASH);
  await client.query(`
    create temporary table ${WORK} as
    select s.seq, s.line, s.masked, s.amount, s.reference, s.reason, s.message,
           c.id as card_id, c.status, c.expiry_date, p.issuer_id, p.code as program, p.kind, p.reloadable, p.max_balance, p.currency,
           (p.named and c.holder_id is null) as needs_holder,
           min(s.line) over (partition by p.issuer_id, s.reference collate "C") as first_line
    from ${ROWS_TABLE} s
    left join cards c on ${byCardId ? 'c.id = s.card_id' : 'c.pan_token = s.token'}
    left join programs p on p.id = c.program_id`);
  await client.query('commit');
  await client.query(`create index on ${WORK} (seq)`);
  await client.query(`analyze ${WORK}`);
  await client.query(`
    create temporary table ${PREV} (
      seq integer primary key, card_id bigint not null, amount bigint not null, file_name text not null, line integer not null
    )`);
  // The same for the references applied before: a probe per row, or one pass over them all.
  await client.query('begin');
  if (rows * PROBE_RATIO < size!.refs) await client.query(NO_HASH);
  await findApplied(client, 1, 2 ** 31 - 1);
  await client.query('commit');
  await client.query(`
    create temporary table ${CREDIT} (
      ord bigint not null, card_id bigint not null, asset text not null, amount bigint not null,
      counter_account text not null, max_balance bigint not null, memo jsonb, entry_id bigint,
      issuer_id bigint not null, reference text not null, line integer not null
    ) on commit delete rows`);
  await client.query(`create temporary table ${DRY} (card_id bigint not null, asset text not null, credited bigint not null, primary key (card_id, asset))`);
  const { rows: issuers } = await client.query<{ issuer_id: number }>(`select distinct issuer_id from ${WORK} where issuer_id is not null`);
  return new Map(issuers.map((r) => [r.issuer_id, account.issuer(r.issuer_id)]));
}

/**
 * Records in the run's table the rows `lo`..`hi` whose reference the issuer has already applied
 * (load_references), replacing what it held for them: once for the whole file when the run starts
 * (one join, instead of a probe of a table that only grows for every chunk), and again for a chunk
 * that another run raced (its first reference insert hit the primary key).
 */
export async function findApplied(client: pg.ClientBase, lo: number, hi: number): Promise<void> {
  await client.query(`delete from ${PREV} where seq between $1 and $2`, [lo, hi]);
  await client.query(`
    with found as (
      select w.seq, r.card_id, r.amount, r.file_name, r.line
      from ${WORK} w join load_references r on r.issuer_id = w.issuer_id and r.reference = w.reference
      where w.seq between $1 and $2
    )
    insert into ${PREV} (seq, card_id, amount, file_name, line) select seq, card_id, amount, file_name, line from found`, [lo, hi]);
}

interface Decided {
  seq: number; line: number; masked: string; reference: string | null; amount: number | null; outcome: string;
  message: string | null; status: string | null; expiry_date: string | null; program: string | null;
  first_line: number | null; prev_file: string | null; prev_line: number | null; balance: number | null; max_balance: number | null;
  /** On the summary row (outcome `credited`): how many rows were credited. */
  credited: number | null;
}

/**
 * Applies the staged rows `lo`..`hi` (by seq) on `businessDate` in the caller's transaction (or,
 * with `dryRun`, only decides them): one statement classifies each row and decides its credit
 * against its card's balance read without a lock (rows crediting the same card are decided in file
 * order, each against the balance the credited ones before it left; a row that would take the card
 * over its maximum is rejected), then the decided rows are credited through the ledger's bulk path
 * and their references recorded in the same transaction, so a chunk is applied entirely or not at
 * all. The cards are locked only by the chunk's last statement, in card id order, so purchases on
 * them wait at most for that statement and the commit; `onDecided` runs before it (e.g. the audit
 * row). When a balance was raised meanwhile past what was decided, the ledger throws
 * BulkCreditRaced: the caller rolls back and runs the chunk again with `lockFirst`, which locks the
 * chunk's cards before reading their balances.
 */
export async function applyChunk(
  client: pg.ClientBase,
  opts: {
    lo: number; hi: number; businessDate: string; occurredAt: Date; fileName: string; issuers: Map<number, string>; dryRun: boolean;
    lockFirst?: boolean; onDecided?: (result: ChunkResult) => Promise<void>;
  },
): Promise<ChunkResult> {
  const result: ChunkResult = { applied: { count: 0, amount: 0 }, alreadyApplied: { count: 0, amount: 0 }, rejects: [] };
  if (!opts.dryRun && opts.lockFirst) {
    await client.query(`select purse_lock_card_accounts(array(select distinct card_id from ${WORK} where seq between $1 and $2 and card_id is not null))`, [opts.lo, opts.hi]);
  }
  // Planned for each chunk's own range (not prepared): a generic plan, estimating a range of the
  // work table at 0.5% of it, joined 1,000 rows with the card accounts in a nested loop that read
  // all 1,000 accounts per row (50 ms a chunk instead of 6).
  const { rows } = await client.query<Decided>(opts.dryRun ? DECIDE_DRY_SQL : DECIDE_SQL, [
    opts.lo, opts.hi, opts.businessDate, [...opts.issuers.keys()], [...opts.issuers.values()],
  ]);
  for (const r of rows) {
    if (r.outcome === 'credited') {
      result.applied.count = r.credited!;
      result.applied.amount = r.amount!;
    } else if (r.outcome === 'already_applied') {
      result.alreadyApplied.count++;
      result.alreadyApplied.amount += r.amount!;
    } else {
      const [reason, message] = explain(r);
      result.rejects.push({ line: r.line, masked: r.masked, reference: r.reference, reason, message });
    }
  }
  result.rejects.sort((a, b) => a.line - b.line);
  if (opts.dryRun || result.applied.count === 0) {
    await opts.onDecided?.(result);
    return result;
  }
  await postCardCredits(client, opts.businessDate, 'bulk_load', opts.occurredAt, CREDIT, async () => {
    // Same transaction as the entries: a reference is recorded exactly when its credit commits.
    await client.query({
      name: 'purse_load_references',
      text: `insert into load_references (issuer_id, reference, card_id, amount, entry_id, file_name, line)
             select issuer_id, reference, card_id, amount, entry_id, $1, line from ${CREDIT}`,
      values: [opts.fileName],
    });
    await opts.onDecided?.(result);
  });
  return result;
}

function explain(r: Decided): [RejectReason, string] {
  switch (r.outcome) {
    case 'unknown_card': return ['unknown_card', 'no card with this number'];
    case 'dup_file': return ['duplicate_reference', `reference already used on line ${r.first_line} of this file (the first occurrence wins)`];
    case 'dup_applied': return ['duplicate_reference', `reference already applied from ${r.prev_file} line ${r.prev_line} with a different card or amount`];
    case 'not_stored_value': return ['not_stored_value', `program ${r.program} holds points only`];
    case 'not_reloadable': return ['not_reloadable', `program ${r.program} is not reloadable`];
    case 'no_holder': return ['no_holder', `program ${r.program} is named: link a holder to the card first (purse holder link)`];
    case 'card_expired': return ['card_expired', r.expiry_date ? `card expired on ${r.expiry_date}` : 'card is expired'];
    case 'card_not_active': return ['card_not_active', `card is ${r.status}, not active`];
    case 'exceeds_max_balance': return ['exceeds_max_balance', r.balance === null ? 'card has no value account in the program currency'
      : `balance ${r.balance} + ${r.amount} would exceed the program maximum ${r.max_balance}`];
    default: return [r.outcome as RejectReason, r.message ?? r.outcome];
  }
}

// Order of the checks: what the line itself got wrong, then the card, then the reference (a row
// already applied stays "already applied" even if its card has since been frozen), then the card's
// program and state, then the card's maximum balance. The balances are read without a lock, one
// index probe per card (joined with the chunk's rows alone, the planner may scan every account).
// A card whose rows all fit is credited them all; a card with one row that does not fit is
// rejected; only a card with several rows that do not all fit needs them decided one by one, in
// file order (purse_load_balances_before, migration 000330). The statement answers one row per
// row not credited and a summary row (outcome `credited`: `credited` rows, `amount` their sum).
// A real run writes the credits to the chunk's table; a dry run adds them to its running totals,
// which its balances include.
function decideSql(dryRun: boolean): string {
  return `
with w as (
  select w.seq, w.line, w.masked, w.amount, w.reference, w.reason, w.message, w.card_id, w.status, w.expiry_date,
         w.issuer_id, w.program, w.kind, w.reloadable, w.max_balance, w.currency, w.first_line, w.needs_holder,
         r.card_id as prev_card, r.amount as prev_amount, r.file_name as prev_file, r.line as prev_line
  from ${WORK} w
  left join ${PREV} r on r.seq = w.seq
  where w.seq between $1 and $2
), c as (
  select w.*, case
      when reason is not null then reason
      when card_id is null then 'unknown_card'
      when line > first_line then 'dup_file'
      when prev_card = card_id and prev_amount = amount then 'already_applied'
      when prev_card is not null then 'dup_applied'
      when kind = 'points' then 'not_stored_value'
      when not reloadable then 'not_reloadable'
      when needs_holder then 'no_holder'
      when status = 'expired' or expiry_date < $3::date then 'card_expired'
      when status <> 'active' then 'card_not_active'
    end as outcome
  from w
), ok as materialized (
  select c.seq, c.line, c.masked, c.reference, c.issuer_id, c.card_id, c.currency as asset, c.amount, c.max_balance, x.account as counter_account
  from c join unnest($4::bigint[], $5::text[]) as x(issuer_id, account) on x.issuer_id = c.issuer_id
  where c.outcome is null
), balances as (${dryRun ? `
  select a.card_id, a.asset, a.balance + coalesce(d.credited, 0) as balance
  from card_accounts a left join ${DRY} d on d.card_id = a.card_id and d.asset = a.asset` : `
  select a.card_id, a.asset, a.balance
  from card_accounts a`}
  where a.card_id = any(array(select distinct card_id from ok))
), cards as (
  select ok.*, b.balance,
         sum(ok.amount) over (partition by ok.card_id)::bigint as card_total,
         count(*) over (partition by ok.card_id) as card_rows
  from ok left join balances b on b.card_id = ok.card_id and b.asset = ok.asset
), one_by_one as (
  select unnest(array_agg(seq order by seq)) as seq,
         unnest(purse_load_balances_before(min(balance), min(max_balance), array_agg(amount order by seq))) as before
  from cards
  where card_rows > 1 and balance + card_total > max_balance
  group by card_id
), decided as (
  select k.*, case when k.card_rows > 1 and k.balance + k.card_total > k.max_balance then o.before else k.balance end as before
  from cards k left join one_by_one o on o.seq = k.seq
), credited as (
  select * from decided where before + amount <= max_balance
), ${dryRun ? `dry as (
  insert into ${DRY} (card_id, asset, credited)
  select card_id, asset, sum(amount) from credited group by card_id, asset
  on conflict (card_id, asset) do update set credited = ${DRY}.credited + excluded.credited
)` : `credit as (
  insert into ${CREDIT} (ord, card_id, asset, amount, counter_account, max_balance, memo, issuer_id, reference, line)
  select seq, card_id, asset, amount, counter_account, max_balance, jsonb_build_object('reference', reference), issuer_id, reference, line
  from credited
)`}
select seq, line, masked, reference, amount, outcome, message, status, expiry_date, program, first_line, prev_file, prev_line,
       null::bigint as balance, null::bigint as max_balance, null::integer as credited
from c where outcome is not null
union all
select seq, line, masked, reference, amount, 'exceeds_max_balance', null, null, null, null, null, null, null, before, max_balance, null
from decided where before is null or before + amount > max_balance
union all
select null, null, null, null, coalesce(sum(amount), 0)::bigint, 'credited', null, null, null, null, null, null, null, null, null, count(*)::int
from credited`;
}
const DECIDE_SQL = decideSql(false);
const DECIDE_DRY_SQL = decideSql(true);
