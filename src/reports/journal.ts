import path from 'node:path';
import type { Context } from '../context.js';
import { InputError, InvariantError } from '../errors.js';
import { dateOption } from './options.js';
import { accountClass, CLASS_SQL, glAccountOf, loadMapping } from './journal-mapping.js';
import { extensionOf, peopleFormat, type PeopleFormatInput } from './people/format.js';
import { kindName } from './people/labels.js';
import type { Column, SheetRow } from './people/sheet.js';
import { writePeopleFile } from './people/write.js';

export const DEFAULT_JOURNAL_DIR = path.join('batches', 'settlement', 'journal');

/** The voucher lines' columns (design §6b; the same names in both languages: GL software imports them). */
export const JOURNAL_COLUMNS: readonly Column[] = [
  { key: 'date', en: 'date', zh: 'date', kind: 'text' },
  { key: 'voucher_no', en: 'voucher_no', zh: 'voucher_no', kind: 'text' },
  { key: 'summary', en: 'summary', zh: 'summary', kind: 'text' },
  { key: 'gl_code', en: 'gl_code', zh: 'gl_code', kind: 'text' },
  { key: 'gl_name', en: 'gl_name', zh: 'gl_name', kind: 'text' },
  { key: 'currency', en: 'currency', zh: 'currency', kind: 'text' },
  { key: 'debit', en: 'debit', zh: 'debit', kind: 'amount' },
  { key: 'credit', en: 'credit', zh: 'credit', kind: 'amount' },
];

/** One voucher line: a GL account's net of the voucher's postings (minor units, one side non-zero). */
export interface JournalLine {
  date: string;
  voucher_no: string;
  summary: string;
  gl_code: string;
  gl_name: string;
  currency: string;
  debit: number;
  credit: number;
}

export interface JournalResult {
  business_date: string;
  file: string;
  vouchers: { voucher_no: string; entry_kind: string; lines: number; debit: number; credit: number }[];
  lines: JournalLine[];
  /** Per currency: total debits = total credits. */
  totals: { currency: string; debit: number; credit: number }[];
}

export interface JournalInput extends PeopleFormatInput {
  date: unknown;
  mapping?: string;
  out?: string;
}

interface Group { entry_kind: string; class: string; asset: string; amount: string; example: string }

/**
 * `purse report journal --date D`: the settled date's postings as accounting vouchers (design
 * §6b). Money assets only (points are memo quantities; their money is in the scheme floats).
 * One voucher per entry kind with a non-zero line, numbered `YYYYMMDD-NNNN` in entry-kind order
 * (byte order of the kind names); in it one line per GL account and currency, the postings of the
 * account classes mapped to it netted: under §4's sign convention a positive net is a credit, a
 * negative one a debit. Each voucher balances per currency because every entry does. A posting
 * whose (account class, entry kind) the mapping does not cover is an InputError naming it —
 * never dropped. Writes `journal-<D>.csv` (or .xlsx) to `out` whole or not at all; read only.
 */
export async function writeJournal(ctx: Context, input: JournalInput): Promise<JournalResult> {
  const date = dateOption(input.date, '--date');
  const fmt = peopleFormat(input, { encoding: 'utf8-bom', lang: 'zh', amounts: 'yuan' });
  const mapping = await loadMapping(input.mapping);
  const db = ctx.db.pg;
  const { rowCount } = await db.query('select 1 from settlements where business_date = $1::date', [date]);
  if (!rowCount) throw new InputError('not_settled', `business date ${date} is not settled yet; run purse settle --date ${date} first`, '--date');
  // Grouped by class in SQL: a day of a million card legs becomes a few hundred rows.
  const { rows } = await db.query<Group>(`
    select entry_kind, ${CLASS_SQL} as class, asset, sum(amount)::text as amount, min(account) as example
    from postings
    where business_date = $1::date and asset not like 'PTS:%'
    group by entry_kind, ${CLASS_SQL}, asset`, [date]);

  const byKind = new Map<string, Map<string, { gl_code: string; gl_name: string; currency: string; net: bigint }>>();
  for (const g of rows) {
    if (accountClass(g.example) !== g.class) throw new InvariantError('account_class', `account class of ${g.example}: SQL ${g.class}, TS ${accountClass(g.example)}`);
    const gl = glAccountOf(mapping, g.class, g.entry_kind);
    if (!gl) {
      throw new InputError('unmapped_posting',
        `postings of account class ${g.class} (e.g. ${g.example}) in ${g.entry_kind} entries, ${g.asset}, have no GL account in ${input.mapping ?? 'the default mapping'}; add a row ${g.class},${g.entry_kind},<gl_code>,<gl_name> (or ${g.class},*,…)`,
        '--mapping');
    }
    const lines = byKind.get(g.entry_kind) ?? new Map();
    const k = `${gl.gl_code}\u0000${g.asset}`;
    const line = lines.get(k) ?? { ...gl, currency: g.asset, net: 0n };
    line.net += BigInt(g.amount);
    lines.set(k, line);
    byKind.set(g.entry_kind, lines);
  }

  const compact = date.replaceAll('-', '');
  const result: JournalResult = { business_date: date, file: '', vouchers: [], lines: [], totals: [] };
  const totals = new Map<string, { debit: bigint; credit: bigint }>();
  let n = 0;
  for (const kind of [...byKind.keys()].sort()) {
    const lines = [...byKind.get(kind)!.values()].filter((l) => l.net !== 0n)
      .sort((a, b) => (a.gl_code < b.gl_code ? -1 : a.gl_code > b.gl_code ? 1 : a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
    if (lines.length === 0) continue; // e.g. a replacement moves value between two card accounts: nothing to book
    const voucher_no = `${compact}-${String(++n).padStart(4, '0')}`;
    const summary = `${kindName(kind, fmt.lang)} ${date}`;
    let debit = 0n;
    let credit = 0n;
    const net = new Map<string, bigint>();
    for (const l of lines) {
      const d = l.net < 0n ? -l.net : 0n;
      const c = l.net > 0n ? l.net : 0n;
      debit += d;
      credit += c;
      net.set(l.currency, (net.get(l.currency) ?? 0n) + l.net);
      const t = totals.get(l.currency) ?? { debit: 0n, credit: 0n };
      t.debit += d;
      t.credit += c;
      totals.set(l.currency, t);
      result.lines.push({ date, voucher_no, summary, gl_code: l.gl_code, gl_name: l.gl_name, currency: l.currency, debit: Number(d), credit: Number(c) });
    }
    // Every entry sums to zero per asset, so a voucher cannot be out of balance unless the ledger is.
    for (const [currency, v] of net) {
      if (v !== 0n) throw new InvariantError('unbalanced_voucher', `voucher ${voucher_no} (${kind}) does not balance in ${currency}: credits exceed debits by ${v}`);
    }
    result.vouchers.push({ voucher_no, entry_kind: kind, lines: lines.length, debit: Number(debit), credit: Number(credit) });
  }
  result.totals = [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, t]) => ({ currency, debit: Number(t.debit), credit: Number(t.credit) }));
  result.file = path.join(input.out ?? DEFAULT_JOURNAL_DIR, `journal-${date}.${extensionOf(fmt)}`);
  await writePeopleFile(result.file, [{ name: `journal ${date}`, columns: JOURNAL_COLUMNS, rows: result.lines as unknown as SheetRow[] }], fmt, date, ctx.calendar.timezone);
  return result;
}
