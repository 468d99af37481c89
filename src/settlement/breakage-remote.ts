import type { Context } from '../context.js';
import type { Queryable } from '../ledger/post.js';
import { postEntries } from '../ledger/post.js';
import { balancedEntry, type Entry, type Posting } from '../ledger/entry.js';
import { account } from '../ledger/accounts.js';
import { breakageReversal, escheat, remoteBreakage } from '../ledger/flows/index.js';
import { openBusinessDate } from '../ledger/business-date.js';
import { withTransaction } from '../db/tx.js';

/** Per program: what remote derecognition moved (or, in a dry run, would move). */
export interface RemoteProgramLine {
  program: string;
  breakage_method: 'remote' | 'proportional';
  kind: 'breakage' | 'escheat';
  /** Where the value went: `issuer`, `revenue:breakage` or `escheat`. */
  target: 'issuer' | 'revenue:breakage' | 'escheat';
  cards: number;
  amount: number;
}

export interface RemoteResult {
  cards: number;
  amount: number;
  escheat_cards: number;
  escheat_amount: number;
  programs: RemoteProgramLine[];
}

interface Candidate {
  card_id: number; program: string; breakage_method: 'remote' | 'proportional'; escheat: boolean;
  issuer_id: number; is_operator: boolean; currency: string; available: number;
}

const CHUNK = 500;

// A card whose last valid day is E is derecognised as of D when D > E + grace days (so with the
// default 30 days, a card expiring 2026-01-31 is derecognised from 2026-03-03 on). Only the
// available value moves: an amount still held by an open pre-authorization stays until the hold
// is captured or released, and a later run takes what is then left.
const ELIGIBLE = `
  c.expiry_date is not null and c.status <> 'closed'
  and c.expiry_date + p.breakage_grace_days < $1::date
  and a.balance - a.held > 0`;

const CANDIDATES_SQL = `
  select c.id as card_id, p.code as program, p.breakage_method, p.escheat, p.issuer_id, i.is_operator, p.currency,
         a.balance - a.held as available
  from cards c
  join programs p on p.id = c.program_id
  join issuers i on i.id = p.issuer_id
  join card_accounts a on a.card_id = c.id and a.asset = p.currency
  where ${ELIGIBLE}`;

/**
 * Remote breakage (design §4): moves the available value of every card expired longer than its
 * program's grace period as of `asOf` off the card — to the issuer (`breakage`), to
 * `revenue:breakage` when the operator issued a remote-method program, or to `escheat:<issuer>`
 * (`escheat`, a liability) when the program says so. Proportional programs derecognise the same
 * way but always to the issuer account: their income was recognised in the memo books.
 * Exactly once: cards are locked and re-checked per chunk, and a derecognised card has nothing
 * left to move. `dryRun` computes the same lines without posting.
 */
export async function derecogniseExpired(ctx: Context, asOf: string, dryRun: boolean): Promise<RemoteResult> {
  if (dryRun) {
    const { rows } = await ctx.db.pg.query<Candidate>(`${CANDIDATES_SQL} order by c.id`, [asOf]);
    return summarise(rows);
  }
  const ids = (await ctx.db.pg.query<{ card_id: number }>(`${CANDIDATES_SQL} order by c.id`, [asOf])).rows.map((r) => r.card_id);
  const moved: Candidate[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    moved.push(...await withTransaction(ctx.db.pg, async (client) => {
      // Re-check under the row locks: a card reactivated or already derecognised since the
      // candidate scan drops out here.
      // The cards, then their accounts, in id order, each by a query routed to one card (Citus
      // locks rows only so: migration 000231).
      await client.query('select 1 from purse_citus_lock_cards($1::bigint[])', [chunk]);
      await client.query('select 1 from purse_citus_lock_accounts($1::bigint[])', [chunk]);
      const { rows } = await client.query<Candidate>(`${CANDIDATES_SQL} and c.id = any($2::bigint[]) order by c.id`, [asOf, chunk]);
      if (rows.length === 0) return [];
      const now = ctx.clock.now();
      const date = await openBusinessDate(client, now, ctx.calendar);
      await postEntries(client, date, rows.map((r) => derecognition(r, asOf, now)));
      return rows;
    }));
  }
  return summarise(moved);
}

function target(c: Candidate): RemoteProgramLine['target'] {
  if (c.escheat) return 'escheat';
  return c.breakage_method === 'remote' && c.is_operator ? 'revenue:breakage' : 'issuer';
}

function derecognition(c: Candidate, asOf: string, now: Date): Entry {
  const t = target(c);
  const value = { cardId: c.card_id, issuerId: c.issuer_id, currency: c.currency, amount: c.available };
  const opts = { occurredAt: now, memo: { as_of: asOf, card_id: c.card_id } };
  return t === 'escheat' ? balancedEntry('escheat', escheat(value), opts) : balancedEntry('breakage', remoteBreakage({ ...value, target: t }), opts);
}

function summarise(rows: Candidate[]): RemoteResult {
  const lines = new Map<string, RemoteProgramLine>();
  const out: RemoteResult = { cards: 0, amount: 0, escheat_cards: 0, escheat_amount: 0, programs: [] };
  for (const r of rows) {
    const t = target(r);
    const key = `${r.program}\u0000${t}`;
    const line = lines.get(key) ?? { program: r.program, breakage_method: r.breakage_method, kind: t === 'escheat' ? 'escheat' : 'breakage', target: t, cards: 0, amount: 0 };
    line.cards += 1;
    line.amount += r.available;
    lines.set(key, line);
    if (t === 'escheat') {
      out.escheat_cards += 1;
      out.escheat_amount += r.available;
    } else {
      out.cards += 1;
      out.amount += r.available;
    }
  }
  out.programs = [...lines.values()].sort((a, b) => (a.program < b.program ? -1 : a.program > b.program ? 1 : a.target < b.target ? -1 : 1));
  return out;
}

/**
 * Restores a card's derecognised value (reactivation, replacement, a claim against escheat):
 * posts a `breakage_reversal` negating each `breakage`/`escheat` entry of the card not reversed
 * yet, so exactly the value taken comes back. The caller holds the card's row lock and the open
 * business date. Returns the value restored (0 when nothing was derecognised).
 */
export async function restoreDerecognised(db: Queryable, cardId: number, businessDate: string, now: Date): Promise<{ restored: number; entryIds: number[] }> {
  const { rows } = await db.query<{ id: number; legs: Posting[] }>(`
    select e.id, json_agg(json_build_object('account', l.account, 'asset', l.asset, 'amount', l.amount)) as legs
    from entries e join postings l on l.entry_id = e.id
    where e.id in (select p.entry_id from postings p where p.card_id = $1 and p.entry_kind in ('breakage', 'escheat'))
      -- not correlated: Citus joins entries with entries only on their id
      and e.id not in (select r.reverses_entry_id from entries r where r.kind = 'breakage_reversal' and r.reverses_entry_id is not null)
    group by e.id order by e.id`, [cardId]);
  if (rows.length === 0) return { restored: 0, entryIds: [] };
  const cardValue = account.cardValue(cardId);
  const restored = rows.reduce((sum, r) => sum - r.legs.filter((l) => l.account === cardValue).reduce((s, l) => s + l.amount, 0), 0);
  const entryIds = await postEntries(db, businessDate, rows.map((r) => balancedEntry('breakage_reversal', breakageReversal(r.legs),
    { occurredAt: now, reversesEntryId: r.id, memo: { card_id: cardId } })));
  return { restored, entryIds };
}
