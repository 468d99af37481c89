import type { FeesReport } from '../fees.js';
import type { RevenueReport } from '../revenue.js';
import type { StatsReport } from '../stats.js';
import type { TransactionRow } from '../transactions.js';
import type { LiabilityReport } from '../../settlement/liability.js';
import type { Column, Sheet, SheetRow } from './sheet.js';
import { localTime } from './time.js';

const t = (key: string, zh: string): Column => ({ key, en: key, zh, kind: 'text' });
const n = (key: string, zh: string): Column => ({ key, en: key, zh, kind: 'count' });
const a = (key: string, zh: string, assetKey?: string): Column => ({ key, en: key, zh, kind: 'amount', assetKey });

/** Columns of `purse report fees` for people (en names = the §6 CSV names). */
export const FEES_COLUMNS: readonly Column[] = [
  t('business_date', '营业日'), t('party_type', '对象类型'), t('party', '对象'), t('party_name', '名称'), t('currency', '币种'),
  n('charged_count', '收取笔数'), a('charged_amount', '收取金额'), n('returned_count', '退回笔数'), a('returned_amount', '退回金额'), a('net_amount', '净额'),
];

const REVENUE_ZH: Record<string, string> = {
  merchant_commission: '商户手续费', channel_fees: '渠道费', card_fees: '卡费', dormancy_fees: '休眠费', breakage: '沉淀收入',
  points_spread: '积分差价', points_breakage: '积分过期收入', lottery: '抽奖', total: '合计',
};

export function revenueColumns(r: RevenueReport): Column[] {
  return [t('business_date', '营业日'), t('currency', '币种'), ...[...r.kinds, 'total'].map((k) => a(k, REVENUE_ZH[k] ?? k))];
}

export const STATS_COLUMNS: readonly Column[] = [
  t('business_date', '营业日'), t('type', '类型'), t('merchant', '商户'), t('asset', '资产'), n('count', '笔数'), n('approved_count', '成功笔数'),
  a('approved_amount', '成功金额', 'asset'), n('declined_count', '拒绝笔数'), n('undone_count', '撤销冲正笔数'), a('undone_amount', '撤销冲正金额', 'asset'),
];

export const TRANSACTION_COLUMNS: readonly Column[] = [
  n('id', '编号'), t('business_date', '营业日'), t('occurred_at', '时间'), t('channel', '渠道'), t('request_id', '请求号'), t('type', '类型'),
  t('status', '状态'), t('approved', '批准'), t('response_code', '应答码'), n('card_id', '卡片ID'), t('card_last4', '卡号后四位'),
  t('merchant', '商户'), t('merchant_name', '商户名称'), t('terminal', '终端'), t('asset', '资产'),
  a('amount_requested', '请求金额', 'asset'), a('amount_approved', '批准金额', 'asset'), a('commission', '手续费'), a('channel_fee', '渠道费'),
  a('refunded_amount', '已退金额', 'asset'), n('original_id', '原交易编号'),
];

/** Transaction rows for people: the time in the business timezone with its offset. */
export function transactionRows(rows: readonly TransactionRow[], timezone: string): SheetRow[] {
  return rows.map((r) => ({ ...r, approved: String(r.approved), occurred_at: localTime(new Date(r.occurred_at), timezone) }));
}

const BUCKET_ZH: Record<string, string> = { '0-30': '0-30天', '31-90': '31-90天', '91-180': '91-180天', '181-365': '181-365天', '366+': '366天以上' };

/** Columns of `purse report liability` as CSV (its rows flattened: one column per age bucket). */
export function liabilityColumns(r: LiabilityReport): Column[] {
  return [
    t('issuer', '发卡机构'), t('program', '卡产品'), t('asset', '资产'), t('kind', '类别'), t('scheme', '积分方案'), n('cards', '卡数'),
    a('outstanding', '未用余额', 'asset'), ...r.buckets.map((b) => a(b, BUCKET_ZH[b] ?? b, 'asset')),
  ];
}

/** The rows of the liability report, one per issuer, program and asset, the buckets as columns. */
export function liabilityRows(r: LiabilityReport): SheetRow[] {
  return r.rows.map((row) => ({ issuer: row.issuer, program: row.program, asset: row.asset, kind: row.kind, scheme: row.scheme, cards: row.cards, outstanding: row.outstanding, ...row.aged }));
}

export function feesSheet(r: FeesReport): Sheet[] {
  return [{ name: 'fees', columns: FEES_COLUMNS, rows: r.rows as unknown as SheetRow[] }];
}

export function revenueSheet(r: RevenueReport): Sheet[] {
  return [{ name: 'revenue', columns: revenueColumns(r), rows: r.rows as unknown as SheetRow[] }];
}

export function statsSheet(r: StatsReport): Sheet[] {
  return [{ name: 'stats', columns: STATS_COLUMNS, rows: r.rows as unknown as SheetRow[] }];
}

/** The liability report: the aged rows, its totals per asset, and escheat balances, as three tables. */
export function liabilitySheets(r: LiabilityReport): Sheet[] {
  return [
    { name: 'liability', columns: liabilityColumns(r), rows: liabilityRows(r) },
    { name: 'totals', columns: [t('asset', '资产'), n('cards', '卡数'), a('outstanding', '未用余额', 'asset')], rows: r.totals as unknown as SheetRow[] },
    { name: 'escheat', columns: [t('issuer', '发卡机构'), t('asset', '资产'), a('amount', '金额', 'asset')], rows: r.escheat as unknown as SheetRow[] },
  ];
}
