import fs from 'node:fs/promises';
import { InputError } from '../errors.js';
import { parseCsvLine } from '../batch/csv-line.js';
import { decodeFile } from '../batch/text-encoding.js';

/** One mapping row: postings of an account class (and entry kind, or `*` for any) go to a GL account. */
export interface GlAccount { gl_code: string; gl_name: string }

/** (account class, entry kind) → GL account; kind `*` matches any kind without its own row. */
export type JournalMapping = Map<string, GlAccount>;

export const MAPPING_HEADER = ['account_class', 'entry_kind', 'gl_code', 'gl_name'];

/**
 * The class of a ledger account (design §4 account names without their ids): numeric segments
 * dropped and a party id suffix stripped, so `card:42:value` → `card:value`, `merchant:7` →
 * `merchant`, `settled:merchant_7` → `settled:merchant`, `memo:breakage_income:3` →
 * `memo:breakage_income`, `revenue:card_fees` and `bank` unchanged. Mirrors CLASS_SQL.
 */
export function accountClass(account: string): string {
  return account.split(':').filter((s) => !/^[0-9]+$/.test(s)).map((s) => s.replace(/_[0-9]+$/, '')).join(':');
}

/** accountClass in SQL over `postings.account`. */
export const CLASS_SQL = `regexp_replace(regexp_replace(account, ':[0-9]+(?=:|$)', '', 'g'), '_[0-9]+(?=:|$)', '', 'g')`;

/**
 * The default mapping (also `batches/examples/journal-mapping.csv`): a Chinese chart of accounts
 * under the Accounting Standards for Business Enterprises — card balances, party positions and
 * custody as payables (22xx), the operator's revenue kinds as income (6001/6051) and channel fees
 * as cost (6401), the bank account (1002), ASC 606 memo books as off-balance 99xx accounts, and
 * manual adjustments (`suspense:adjustments`) on their own suspense payable.
 */
export const DEFAULT_MAPPING_CSV = `account_class,entry_kind,gl_code,gl_name
bank,*,100201,银行存款-备付金账户
card:value,*,224101,其他应付款-持卡人储值余额
channel,*,220202,应付账款-渠道
escheat,*,224104,其他应付款-待上缴无人认领资金
issuer,*,224102,其他应付款-发卡机构
memo:breakage_income,*,990101,备查-沉淀收入预估
memo:breakage_reserve,*,990102,备查-沉淀收入准备
merchant,*,220201,应付账款-商户结算款
revenue:breakage,*,605101,其他业务收入-沉淀收入
revenue:card_fees,*,600102,主营业务收入-卡费
revenue:channel_fees,*,640101,主营业务成本-渠道费
revenue:dormancy_fees,*,600103,主营业务收入-休眠费
revenue:lottery,*,605103,其他业务收入-抽奖
revenue:merchant_commission,*,600101,主营业务收入-商户手续费
revenue:points_breakage,*,605102,其他业务收入-积分过期
revenue:points_spread,*,600104,主营业务收入-积分差价
scheme:float,*,224103,其他应付款-积分备付金
settled:channel,*,220212,应付账款-渠道待付
settled:issuer,*,224112,其他应付款-发卡机构待结算
settled:merchant,*,220211,应付账款-商户待付
suspense:adjustments,*,224199,其他应付款-手工调整待查
`;

const key = (cls: string, kind: string) => `${cls}\u0000${kind}`;

/**
 * Parses a mapping CSV (`account_class,entry_kind,gl_code,gl_name`; UTF-8 with or without BOM,
 * or GBK). InputError naming the line for a wrong header, a malformed row or a repeated
 * (class, kind) pair.
 */
export function parseMapping(text: string, source: string): JournalMapping {
  const map: JournalMapping = new Map();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = parseCsvLine(lines[0] ?? '').fields;
  if (!header || header.join(',') !== MAPPING_HEADER.join(',')) {
    throw new InputError('bad_mapping', `${source} line 1: expected the header ${MAPPING_HEADER.join(',')}`, '--mapping');
  }
  lines.slice(1).forEach((line, i) => {
    const no = i + 2;
    if (line.trim() === '') return;
    const fields = parseCsvLine(line).fields;
    const [cls, kind, code, name] = fields ?? [];
    if (!fields || fields.length !== 4 || !/^[a-z_]+(:[a-z_]+)*$/.test(cls!) || !/^([a-z_]+|\*)$/.test(kind!)
      || !/^[A-Za-z0-9._-]{1,32}$/.test(code!) || name!.trim() === '' || name!.length > 100) {
      throw new InputError('bad_mapping', `${source} line ${no}: expected account_class,entry_kind (or *),gl_code (1-32 of A-Z a-z 0-9 . _ -),gl_name (1-100 characters)`, '--mapping');
    }
    if (map.has(key(cls!, kind!))) throw new InputError('bad_mapping', `${source} line ${no}: ${cls},${kind} is mapped twice`, '--mapping');
    map.set(key(cls!, kind!), { gl_code: code!, gl_name: name!.trim() });
  });
  return map;
}

/** The mapping of `--mapping FILE`, or the default. */
export async function loadMapping(file: string | undefined): Promise<JournalMapping> {
  if (file === undefined) return parseMapping(DEFAULT_MAPPING_CSV, 'default mapping');
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    throw new InputError('file_not_found', `${file}: no such file`, '--mapping');
  }
  return parseMapping(decodeFile(bytes), file);
}

/** The GL account of postings of `cls` in entries of `kind`, or undefined when unmapped. */
export function glAccountOf(map: JournalMapping, cls: string, kind: string): GlAccount | undefined {
  return map.get(key(cls, kind)) ?? map.get(key(cls, '*'));
}
