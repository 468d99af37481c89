import type { Calendar } from '../ledger/calendar.js';
import { businessDateOf } from '../ledger/calendar.js';
import type { FieldValue, IsoMessage } from './codec.js';
import type { TxnResponse } from '../daemon/work-item.js';

/** Fields an answer echoes from its request (design §5b). */
const ECHO = [2, 3, 4, 11, 25, 41, 42, 49, 60] as const;

/** ISO 4217 numeric codes of the currencies Purse programs use (DE49, DE54). */
const NUMERIC: Readonly<Record<string, string>> = { CNY: '156', HKD: '344', MOP: '446', TWD: '901', USD: '840', EUR: '978', JPY: '392' };

/** The numeric ISO 4217 code of an alpha code (000 when unknown). */
export const numericCurrency = (alpha: string): string => NUMERIC[alpha] ?? '000';
/** The alpha code of a numeric DE49 (null when unknown). */
export const alphaCurrency = (numeric: string): string | null => Object.entries(NUMERIC).find(([, n]) => n === numeric)?.[0] ?? null;

/** The answer MTI: the request's + 10 (0200 → 0210, 0401 → 0411). */
export const answerMti = (mti: string): string => String(Number(mti) + 10).padStart(4, '0');

function clockFields(now: Date, cal: Calendar): Map<number, FieldValue> {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: cal.timezone, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
    .formatToParts(now).map((x) => [x.type, x.value]));
  const bd = businessDateOf(now, cal);
  return new Map<number, FieldValue>([[12, `${p.hour}${p.minute}${p.second}`], [13, `${p.month}${p.day}`], [15, `${bd.slice(5, 7)}${bd.slice(8, 10)}`]]);
}

/**
 * The skeleton of an answer: MTI + 10, the echoed fields, 12 and 13 (local time in the business
 * time zone), 15 (business date), 32 (acquirer) and 39. DE64 is added by the caller when due.
 */
export function answerOf(req: IsoMessage, code: string, now: Date, cal: Calendar, acquirer: string): IsoMessage {
  const fields = new Map<number, FieldValue>();
  for (const no of ECHO) {
    const v = req.fields.get(no);
    if (v !== undefined) fields.set(no, v);
  }
  for (const [k, v] of clockFields(now, cal)) fields.set(k, v);
  fields.set(32, acquirer);
  fields.set(39, code);
  return { mti: answerMti(req.mti), fields };
}

/**
 * DE54 (20 characters): account type (10 stored value, 90 points), amount type 02 (available),
 * numeric currency (000 for points), sign C/D, amount n12.
 */
export function balanceField(points: boolean, currency: string, amount: number): string {
  return `${points ? '90' : '10'}02${points ? '000' : numericCurrency(currency)}${amount < 0 ? 'D' : 'C'}${String(Math.abs(amount)).padStart(12, '0')}`;
}

/** A 6-character authorization code (DE38) of an approved transaction. */
export const authCode = (transactionId: number): string => String(transactionId % 1_000_000).padStart(6, '0');

/**
 * Adds the core's answer to an ISO answer: 37 (RRN), 38 (approved), 39, and 54 when a balance is
 * known — the points of `scheme` for points types, else the available stored value.
 */
export function withResponse(ans: IsoMessage, r: TxnResponse, rrn: string, points: boolean, scheme: string | null): IsoMessage {
  ans.fields.set(37, rrn);
  ans.fields.set(39, r.response_code);
  if (r.approved && r.transaction_id !== null) ans.fields.set(38, authCode(r.transaction_id));
  if (r.balance) {
    const pts = r.balance.points;
    const key = scheme !== null && scheme in pts ? scheme : Object.keys(pts).sort()[0];
    if (points) ans.fields.set(54, balanceField(true, '', key === undefined ? 0 : pts[key]!));
    else ans.fields.set(54, balanceField(false, r.balance.currency, r.balance.available));
  }
  return ans;
}
