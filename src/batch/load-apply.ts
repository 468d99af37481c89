import type pg from 'pg';
import { account } from '../ledger/accounts.js';
import { lockCardAccounts, postCardCredits } from '../ledger/bulk.js';
import { ROWS_TABLE } from './load-file.js';
import type { RejectReason } from './load-row.js';
import type { RejectRow } from './rejects.js';

// Temporary tables of one load run, next to ROWS_TABLE; they vanish with the run's connection.
const WORK = 'purse_load_work';
const PENDING = 'purse_load_pending';
const TURN = 'purse_load_turn';
const SIM = 'purse_load_sim';
const CREDIT = 'purse_load_credit';
const PREV = 'purse_load_prev';

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
 * `byCardId`: the file names cards by id (a card_id column) instead of by number. Creates the
 * per-chunk work tables. Returns the ledger
 * account of each issuer the file touches.
 */
export async function prepareWork(client: pg.ClientBase, byCardId = false): Promise<Map<number, string>> {
  // One hash join of the staged rows with cards, and one sort for the duplicate window, instead
  // of a probe per row per chunk; work_mem is raised for this session so 1,000,000 rows sort in
  // memory.
  await client.query(`
    create temporary table ${WORK} as
    select s.seq, s.line, s.masked, s.amount, s.reference, s.reason, s.message,
           c.id as card_id, c.status, c.expiry_date, p.issuer_id, p.code as program, p.kind, p.reloadable, p.max_balance, p.currency,
           (p.named and c.holder_id is null) as needs_holder,
           min(s.line) over (partition by p.issuer_id, s.reference) as first_line
    from ${ROWS_TABLE} s
    left join cards c on ${byCardId ? 'c.id = s.card_id' : 'c.pan_token = s.token'}
    left join programs p on p.id = c.program_id`);
  await client.query(`create index on ${WORK} (seq)`);
  await client.query(`analyze ${WORK}`);
  await client.query(`
    create temporary table ${PREV} (
      seq integer primary key, card_id bigint not null, amount bigint not null, file_name text not null, line integer not null
    )`);
  await findApplied(client, 1, 2 ** 31 - 1);
  await client.query(`
    create temporary table ${PENDING} (
      seq integer not null, line integer not null, masked text not null, reference text not null, issuer_id bigint not null,
      card_id bigint not null, asset text not null, amount bigint not null, max_balance bigint not null,
      counter_account text not null, turn integer not null
    )`);
  await client.query(`
    create temporary table ${TURN} (
      ord bigint not null, card_id bigint not null, asset text not null, amount bigint not null,
      counter_account text not null, max_balance bigint not null, memo jsonb, primary key (card_id, asset)
    )`);
  await client.query(`create temporary table ${SIM} (card_id bigint not null, asset text not null, balance bigint not null, primary key (card_id, asset))`);
  await client.query(`
    create temporary table ${CREDIT} (
      ord bigint not null, card_id bigint not null, asset text not null, amount bigint not null,
      counter_account text not null, max_balance bigint not null, memo jsonb
    )`);
  const { rows } = await client.query<{ issuer_id: number }>(`select distinct issuer_id from ${WORK} where issuer_id is not null`);
  return new Map(rows.map((r) => [r.issuer_id, account.issuer(r.issuer_id)]));
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

interface Classified {
  seq: number; line: number; masked: string; reference: string | null; amount: number | null; outcome: string;
  message: string | null; status: string | null; expiry_date: string | null; program: string | null;
  first_line: number | null; prev_file: string | null; prev_line: number | null;
}

/**
 * Applies the staged rows `lo`..`hi` (by seq) on `businessDate` in the caller's transaction (or,
 * with `dryRun`, only simulates the credits): classifies each row, decides the credits against a
 * temporary copy of the cards' balances (rows crediting the same card run in successive turns, so
 * each sees the balance the one before left; a row that would take the card over its maximum is
 * rejected), then credits the decided rows through the ledger's bulk path and records their
 * references in the same transaction, so a chunk is applied entirely or not at all. The balances
 * are read without a lock and the cards are locked only by the chunk's last statement, in card id
 * order, so purchases on them wait at most for that statement and the commit; `onDecided` runs
 * before it (e.g. the audit row). When a balance was raised meanwhile past what was decided, the
 * ledger throws BulkCreditRaced: the caller rolls back and runs the chunk again with `lockFirst`,
 * which locks the chunk's cards before reading their balances.
 */
export async function applyChunk(
  client: pg.ClientBase,
  opts: {
    lo: number; hi: number; businessDate: string; occurredAt: Date; fileName: string; issuers: Map<number, string>; dryRun: boolean;
    lockFirst?: boolean; onDecided?: (result: ChunkResult) => Promise<void>;
  },
): Promise<ChunkResult> {
  const result: ChunkResult = { applied: { count: 0, amount: 0 }, alreadyApplied: { count: 0, amount: 0 }, rejects: [] };
  await client.query(`truncate ${PENDING}`);
  // A dry run carries its simulated balances from chunk to chunk (nothing is written); a real run
  // reads them afresh, since purchases and earlier chunks have changed them.
  if (!opts.dryRun) await client.query(`truncate ${SIM}`);
  const { rows } = await client.query<Classified>(CLASSIFY_SQL, [
    opts.lo, opts.hi, opts.businessDate, [...opts.issuers.keys()], [...opts.issuers.values()],
  ]);
  for (const r of rows) {
    if (r.outcome === 'already_applied') {
      result.alreadyApplied.count++;
      result.alreadyApplied.amount += r.amount!;
    } else {
      const [reason, message] = explain(r);
      result.rejects.push({ line: r.line, masked: r.masked, reference: r.reference, reason, message });
    }
  }
  if (!opts.dryRun && opts.lockFirst) await lockCardAccounts(client, PENDING);
  await client.query(`truncate ${CREDIT}`);
  const { rows: [last] } = await client.query<{ turns: number }>(`select coalesce(max(turn), 0)::int as turns from ${PENDING}`);
  for (let turn = 1; turn <= last!.turns; turn++) {
    await client.query(`truncate ${TURN}`);
    const { rows: cards } = await client.query<{ card_id: string }>(`
      insert into ${TURN} (ord, card_id, asset, amount, counter_account, max_balance, memo)
      select seq, card_id, asset, amount, counter_account, max_balance, jsonb_build_object('reference', reference)
      from ${PENDING} where turn = $1 returning card_id`, [turn]);
    const credited = await simulateCredits(client, cards.map((c) => c.card_id));
    result.applied.count += credited.count;
    result.applied.amount += credited.amount;
    const { rows: over } = await client.query<{ line: number; masked: string; reference: string; amount: number; max_balance: number; balance: number | null }>(`
      select p.line, p.masked, p.reference, p.amount, p.max_balance, b.balance
      from ${TURN} t join ${PENDING} p on p.seq = t.ord
      left join ${SIM} b on b.card_id = t.card_id and b.asset = t.asset
      where not exists (select from ${CREDIT} c where c.ord = t.ord) order by p.seq`);
    for (const o of over) {
      result.rejects.push({
        line: o.line, masked: o.masked, reference: o.reference, reason: 'exceeds_max_balance',
        message: o.balance === null ? 'card has no value account in the program currency'
          : `balance ${o.balance} + ${o.amount} would exceed the program maximum ${o.max_balance}`,
      });
    }
  }
  result.rejects.sort((a, b) => a.line - b.line);
  if (opts.dryRun || result.applied.count === 0) {
    await opts.onDecided?.(result);
    return result;
  }
  await postCardCredits(client, opts.businessDate, 'bulk_load', opts.occurredAt, CREDIT, async (posted) => {
    // Same transaction as the entries: a reference is recorded exactly when its credit commits.
    await client.query(`
      insert into load_references (issuer_id, reference, card_id, amount, entry_id, file_name, line)
      select p.issuer_id, p.reference, p.card_id, p.amount, x.entry_id, $3, p.line
      from unnest($1::bigint[], $2::bigint[]) as x(seq, entry_id) join ${PENDING} p using (seq)`,
    [posted.ords, posted.entryIds, opts.fileName]);
    await opts.onDecided?.(result);
  });
  return result;
}

/**
 * Decides one turn's credits against the temporary balances (read from card_accounts the first
 * time a card comes up in the chunk, without a lock): a row is credited when the balance plus its
 * amount stays at or under the maximum. Credited rows go to the chunk's credit table.
 */
async function simulateCredits(client: pg.ClientBase, cardIds: string[]): Promise<{ count: number; amount: number }> {
  // The turn's card ids as a parameter: an index probe per card, however large card_accounts has
  // grown (joined with the turn's table alone, the planner may scan all of it for every chunk).
  await client.query(`
    insert into ${SIM} (card_id, asset, balance)
    select a.card_id, a.asset, a.balance from card_accounts a join ${TURN} t on t.card_id = a.card_id and t.asset = a.asset
    where a.card_id = any($1::bigint[])
    on conflict do nothing`, [cardIds]);
  const { rows: [r] } = await client.query<{ count: number; amount: string }>(`
    with credited as (
      update ${SIM} s set balance = s.balance + t.amount from ${TURN} t
      where s.card_id = t.card_id and s.asset = t.asset and s.balance + t.amount <= t.max_balance
      returning t.*
    ), kept as (
      insert into ${CREDIT} (ord, card_id, asset, amount, counter_account, max_balance, memo)
      select ord, card_id, asset, amount, counter_account, max_balance, memo from credited
    )
    select count(*)::int as count, coalesce(sum(amount), 0)::text as amount from credited`);
  return { count: r!.count, amount: Number(r!.amount) };
}

function explain(r: Classified): [RejectReason, string] {
  switch (r.outcome) {
    case 'unknown_card': return ['unknown_card', 'no card with this number'];
    case 'dup_file': return ['duplicate_reference', `reference already used on line ${r.first_line} of this file (the first occurrence wins)`];
    case 'dup_applied': return ['duplicate_reference', `reference already applied from ${r.prev_file} line ${r.prev_line} with a different card or amount`];
    case 'not_stored_value': return ['not_stored_value', `program ${r.program} holds points only`];
    case 'not_reloadable': return ['not_reloadable', `program ${r.program} is not reloadable`];
    case 'no_holder': return ['no_holder', `program ${r.program} is named: link a holder to the card first (purse holder link)`];
    case 'card_expired': return ['card_expired', r.expiry_date ? `card expired on ${r.expiry_date}` : 'card is expired'];
    case 'card_not_active': return ['card_not_active', `card is ${r.status}, not active`];
    default: return [r.outcome as RejectReason, r.message ?? r.outcome];
  }
}

// Order of the checks: what the line itself got wrong, then the card, then the reference (a row
// already applied stays "already applied" even if its card has since been frozen), then the card's
// program and state. Rows passing all of them go to the pending table with their turn: the n-th
// row for a card in this chunk is credited in turn n.
const CLASSIFY_SQL = `
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
), pending as (
  insert into ${PENDING} (seq, line, masked, reference, issuer_id, card_id, asset, amount, max_balance, counter_account, turn)
  select c.seq, c.line, c.masked, c.reference, c.issuer_id, c.card_id, c.currency, c.amount, c.max_balance, x.account,
         row_number() over (partition by c.card_id order by c.seq)
  from c join unnest($4::bigint[], $5::text[]) as x(issuer_id, account) on x.issuer_id = c.issuer_id
  where c.outcome is null
)
select seq, line, masked, reference, amount, outcome, message, status, expiry_date, program, first_line, prev_file, prev_line
from c where outcome is not null order by seq`;
