import path from 'node:path';
import type { Context } from '../context.js';
import { InputError } from '../errors.js';
import { dateOption } from './options.js';
import { extensionOf, peopleFormat, type PeopleFormatInput } from './people/format.js';
import { kindName } from './people/labels.js';
import type { Column, Note, Sheet, SheetRow } from './people/sheet.js';
import { localTime } from './people/time.js';
import { PeopleCsvFile, writePeopleFile } from './people/write.js';
import { XLSX_MAX_ROWS } from './people/xlsx.js';

export const DEFAULT_STATEMENTS_DIR = path.join('batches', 'settlement', 'statements');

/** Columns of a statement line (design §6b). */
export const STATEMENT_COLUMNS: readonly Column[] = [
  { key: 'time', en: 'time', zh: '时间', kind: 'text' },
  { key: 'type', en: 'type', zh: '类型', kind: 'text' },
  { key: 'terminal', en: 'terminal', zh: '终端', kind: 'text' },
  { key: 'card', en: 'card', zh: '卡号', kind: 'text' },
  { key: 'amount', en: 'amount', zh: '金额', kind: 'amount' },
  { key: 'commission', en: 'commission', zh: '手续费', kind: 'amount' },
  { key: 'net', en: 'net', zh: '净额', kind: 'amount' },
];

/** The merchant's settlement row (merchants-<date>.csv) as label/value lines. */
const SETTLEMENT_FIELDS: readonly { key: string; en: string; zh: string; kind: 'text' | 'count' | 'amount' }[] = [
  { key: 'business_date', en: 'business_date', zh: '营业日', kind: 'text' },
  { key: 'merchant', en: 'merchant', zh: '商户', kind: 'text' },
  { key: 'merchant_name', en: 'merchant_name', zh: '商户名称', kind: 'text' },
  { key: 'currency', en: 'currency', zh: '币种', kind: 'text' },
  { key: 'purchase_count', en: 'purchase_count', zh: '消费笔数', kind: 'count' },
  { key: 'purchase_amount', en: 'purchase_amount', zh: '消费金额', kind: 'amount' },
  { key: 'refund_count', en: 'refund_count', zh: '退货笔数', kind: 'count' },
  { key: 'refund_amount', en: 'refund_amount', zh: '退货金额', kind: 'amount' },
  { key: 'load_count', en: 'load_count', zh: '充值笔数', kind: 'count' },
  { key: 'load_amount', en: 'load_amount', zh: '充值金额', kind: 'amount' },
  { key: 'commission', en: 'commission', zh: '手续费', kind: 'amount' },
  { key: 'points_funding', en: 'points_funding', zh: '积分出资', kind: 'amount' },
  { key: 'points_redemption_amount', en: 'points_redemption_amount', zh: '积分兑换金额', kind: 'amount' },
  { key: 'points_sales_amount', en: 'points_sales_amount', zh: '积分销售金额', kind: 'amount' },
  { key: 'prize_amount', en: 'prize_amount', zh: '奖品金额', kind: 'amount' },
  { key: 'net_amount', en: 'net_amount', zh: '结算净额', kind: 'amount' },
];

export interface StatementsInput extends PeopleFormatInput {
  date: unknown;
  out?: string;
}

/** One statement written: the merchant, its file, and its totals (minor units). */
export interface StatementFile {
  merchant: string;
  file: string;
  lines: number;
  totals: { currency: string; amount: number; commission: number; net: number }[];
}

export interface StatementsResult {
  business_date: string;
  out_dir: string;
  statements: StatementFile[];
}

interface LineRow {
  entry_id: number; occurred_at: Date; at_key: string; kind: string; currency: string; net: string; commission: string;
  terminal: string | null; pan_last4: string | null; bin: string | null; pan_length: number | null;
}

/** Lines read per query: a merchant's day streams into its CSV in flat memory. */
const PAGE = 5_000;

// A statement line is one ledger entry of the date with a leg on the merchant's account
// (settlement and payment entries excluded: they are the statement's bottom line, not activity).
// net = the merchant's leg (positive: the platform pays the merchant); commission = the entry's
// revenue:merchant_commission leg; amount = net + commission. So the lines add up to the
// settlement row's net_amount and commission by construction. Both legs come from one aggregate
// of the merchant's entries' postings grouped by entry, and the terminal and card of each line's
// transaction from lookups by id (LINE_PARTIES_SQL): on Citus postings and entries are placed by
// entry id, transactions by request id and cards by card id, and only joins on the placement
// column (or with reference tables) run there.
const LINES_SQL = `
  with legs as (
    select p.entry_id, p.asset, sum(p.amount) filter (where p.account = $2) as net,
           coalesce(sum(p.amount) filter (where p.account = 'revenue:merchant_commission'), 0) as commission
    from postings p
    where p.entry_id in (select m.entry_id from postings m
                         where m.business_date = $1::date and m.account = $2 and m.entry_kind not in ('settlement', 'payment'))
      and p.account in ($2, 'revenue:merchant_commission')
    group by p.entry_id, p.asset
  )
  select e.id as entry_id, e.occurred_at, e.occurred_at::text as at_key, e.kind, l.asset as currency, l.net::text as net,
         l.commission::text as commission, e.transaction_id
  from legs l join entries e on e.id = l.entry_id
  where l.net is not null and (e.occurred_at, e.id, l.asset) > ($3::timestamptz, $4::bigint, $5::text)
  order by e.occurred_at, e.id, l.asset
  limit ${PAGE}`;

// The terminal and card of a page's transactions, then the cards' last digits and programs.
const LINE_TRANSACTIONS_SQL = `
  select t.id, tm.code as terminal, t.card_id from transactions t left join terminals tm on tm.id = t.terminal_id
  where t.id = any($1::bigint[])`;
const LINE_CARDS_SQL = `
  select c.id, c.pan_last4, pr.bin, pr.pan_length from cards c join programs pr on pr.id = c.program_id
  where c.id = any($1::bigint[])`;

/**
 * `purse report statements --date D`: one file per merchant with activity on settled business
 * date D (`<merchant>-<D>.csv`, or `.xlsx`), for the merchant alone (design §6b): its ledger
 * entries of the date in time order (time in the business timezone with offset, type, terminal,
 * masked card, amount, commission, net), a totals line per currency, then its settlement row as
 * label/value lines. Read only; re-runs write byte-identical files. InputError for a bad option
 * or an unsettled date.
 */
export async function writeStatements(ctx: Context, input: StatementsInput): Promise<StatementsResult> {
  const date = dateOption(input.date, '--date');
  const fmt = peopleFormat(input, { encoding: 'utf8-bom', lang: 'zh', amounts: 'yuan' });
  const outDir = input.out ?? DEFAULT_STATEMENTS_DIR;
  const db = ctx.db.pg;
  const { rowCount } = await db.query('select 1 from settlements where business_date = $1::date', [date]);
  if (!rowCount) throw new InputError('not_settled', `business date ${date} is not settled yet; run purse settle --date ${date} first`, '--date');
  const { rows: settled } = await db.query<Record<string, string | number> & { merchant_id: number; merchant: string }>(`
    select merchant_id, business_date::text as business_date, merchant_code as merchant, merchant_name, currency,
           purchase_count, purchase_amount, refund_count, refund_amount, load_count, load_amount, commission, points_funding,
           points_redemption_amount, points_sales_amount, prize_amount, net_amount
    from settlement_merchants where business_date = $1::date order by merchant_code collate "C", currency collate "C"`, [date]);
  const byMerchant = new Map<number, typeof settled>();
  for (const r of settled) byMerchant.set(r.merchant_id, [...(byMerchant.get(r.merchant_id) ?? []), r]);

  const result: StatementsResult = { business_date: date, out_dir: outDir, statements: [] };
  for (const [merchantId, rows] of byMerchant) {
    const code = rows[0]!.merchant;
    const file = path.join(outDir, `${code}-${date}.${extensionOf(fmt)}`);
    const statement = new Statement(code, rows, fmt.lang, ctx.calendar.timezone);
    const pages = linePages(ctx, date, merchantId);
    if (fmt.xlsx) {
      const all: SheetRow[] = [];
      for await (const page of pages) {
        all.push(...statement.lines(page));
        if (all.length >= XLSX_MAX_ROWS) throw new InputError('too_many_rows', `merchant ${code} has more lines on ${date} than an XLSX sheet holds; write CSV`, '--xlsx');
      }
      await writePeopleFile(file, [{ ...statement.end(), rows: all }], fmt, date, ctx.calendar.timezone);
    } else {
      const csv = await PeopleCsvFile.open(file, fmt);
      try {
        for await (const page of pages) await csv.write({ ...statement.empty(), rows: statement.lines(page) });
        await csv.write(statement.end());
        await csv.commit();
      } catch (err) {
        await csv.abort();
        throw err;
      }
    }
    result.statements.push({ merchant: code, file, lines: statement.count, totals: statement.totals() });
  }
  return result;
}

/** The merchant's lines of the date in time order, page by page (keyset on time, entry, currency). */
async function* linePages(ctx: Context, date: string, merchantId: number): AsyncGenerator<LineRow[]> {
  let after: [string, number, string] = ['-infinity', 0, ''];
  for (;;) {
    const { rows } = await ctx.db.pg.query<Omit<LineRow, 'terminal' | 'pan_last4' | 'bin' | 'pan_length'> & { transaction_id: number | null }>(
      LINES_SQL, [date, `merchant:${merchantId}`, ...after]);
    if (rows.length > 0) yield await withParties(ctx, rows);
    if (rows.length < PAGE) return;
    const last = rows[rows.length - 1]!;
    after = [last.at_key, last.entry_id, last.currency];
  }
}

/** The page's lines with the terminal and masked-card parts of their transactions (none for an entry without one). */
async function withParties(ctx: Context, rows: readonly (Omit<LineRow, 'terminal' | 'pan_last4' | 'bin' | 'pan_length'> & { transaction_id: number | null })[]): Promise<LineRow[]> {
  const txnIds = [...new Set(rows.flatMap((r) => (r.transaction_id === null ? [] : [r.transaction_id])))];
  const { rows: txns } = await ctx.db.pg.query<{ id: number; terminal: string | null; card_id: number | null }>(LINE_TRANSACTIONS_SQL, [txnIds]);
  const cardIds = [...new Set(txns.flatMap((t) => (t.card_id === null ? [] : [t.card_id])))];
  const { rows: cards } = await ctx.db.pg.query<{ id: number; pan_last4: string; bin: string; pan_length: number }>(LINE_CARDS_SQL, [cardIds]);
  const txnById = new Map(txns.map((t) => [t.id, t]));
  const cardById = new Map(cards.map((c) => [c.id, c]));
  return rows.map(({ transaction_id, ...r }) => {
    const t = transaction_id === null ? undefined : txnById.get(transaction_id);
    const c = t?.card_id == null ? undefined : cardById.get(t.card_id);
    return { ...r, terminal: t?.terminal ?? null, pan_last4: c?.pan_last4 ?? null, bin: c?.bin ?? null, pan_length: c?.pan_length ?? null };
  });
}

/** One merchant's statement being written: its lines as they come, then totals and the settlement row. */
class Statement {
  count = 0;
  private readonly sums = new Map<string, { amount: bigint; commission: bigint; net: bigint }>();

  constructor(private readonly code: string, private readonly settled: Record<string, string | number>[],
    private readonly lang: 'zh' | 'en', private readonly timezone: string) {}

  /** A sheet with no rows: the header of the statement. */
  empty(): Sheet {
    return { name: this.code, columns: STATEMENT_COLUMNS, rows: [] };
  }

  lines(page: readonly LineRow[]): SheetRow[] {
    this.count += page.length;
    return page.map((l) => {
      const net = BigInt(l.net);
      const commission = BigInt(l.commission);
      const s = this.sums.get(l.currency) ?? { amount: 0n, commission: 0n, net: 0n };
      s.amount += net + commission;
      s.commission += commission;
      s.net += net;
      this.sums.set(l.currency, s);
      return {
        time: localTime(l.occurred_at, this.timezone), type: kindName(l.kind, this.lang), terminal: l.terminal ?? '',
        // The mask of design §5 (first 6, last 4), built from the program's BIN and PAN length: the
        // full number is never decrypted for a statement.
        card: l.pan_last4 === null ? '' : `${(l.bin ?? '').slice(0, 6)}${'*'.repeat(Math.max(0, (l.pan_length ?? 16) - 10))}${l.pan_last4}`,
        amount: net + commission, commission, net,
      };
    });
  }

  /** The totals lines (合计 / total, one per currency) and the settlement row as label/value lines. */
  end(): Sheet {
    const label = this.lang === 'zh' ? '合计' : 'total';
    const currencies = [...this.sums.keys()].sort();
    const totals: SheetRow[] = currencies.map((c) => ({ time: currencies.length > 1 ? `${label} ${c}` : label, ...this.sums.get(c)! }));
    const notes: Note[] = this.settled.flatMap((r) => SETTLEMENT_FIELDS.map((f) => ({ en: f.en, zh: f.zh, kind: f.kind, value: r[f.key] ?? null })));
    return { ...this.empty(), totals, notes };
  }

  totals(): StatementFile['totals'] {
    return [...this.sums.keys()].sort().map((c) => {
      const s = this.sums.get(c)!;
      return { currency: c, amount: Number(s.amount), commission: Number(s.commission), net: Number(s.net) };
    });
  }
}
