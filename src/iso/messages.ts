import crypto from 'node:crypto';
import { text, type IsoMessage } from './codec.js';

/** One row of design §5b's message table: how a financial request is recognised and what it becomes. */
export interface TxnRow {
  /** Request MTI with the repeat digit cleared (0221 → 0220). */
  mti: string;
  de3: string;
  de25: string;
  f601: string;
  /** Purse message type. */
  type: string;
  /** Short name (simulator TYPE, logs). */
  name: string;
  /** Where DE61 points (void, refund, completion): candidate classes of the original, first = default. */
  original?: string[];
  /** Amounts are points (DE54 carries points). */
  points?: true;
  /** Counted in the terminal batch's money totals: debit or credit. */
  side?: 'debit' | 'credit';
}

const row = (mti: string, de3: string, de25: string, f601: string, type: string, name: string, extra: Partial<TxnRow> = {}): TxnRow =>
  ({ mti, de3, de25, f601, type, name, ...extra });

/** The class of a row: its MTI, DE3, DE25 and 60.1 (part of the idempotency key). */
export const classOf = (r: Pick<TxnRow, 'mti' | 'de3' | 'de25' | 'f601'>): string => `${r.mti}${r.de3}${r.de25}${r.f601}`;

const PURCHASE = '02000000000022';
const PREAUTH = '01000300000610';
const COMPLETION = ['02000000000620', '02200000000624'];

/** The financial rows of design §5b (sign-on, echo, settlement and uploads are handled apart). */
export const TXN_ROWS: readonly TxnRow[] = [
  row('0200', '310000', '00', '01', 'balance', 'balance'),
  row('0200', '000000', '00', '22', 'purchase', 'purchase', { side: 'debit' }),
  row('0200', '200000', '00', '23', 'void', 'void', { original: [PURCHASE] }),
  row('0220', '200000', '00', '25', 'refund', 'refund', { original: [PURCHASE], side: 'credit' }),
  row('0100', '030000', '06', '10', 'preauth', 'preauth'),
  row('0100', '200000', '06', '11', 'void', 'preauth-void', { original: [PREAUTH] }),
  row('0200', '000000', '06', '20', 'capture', 'completion', { original: [PREAUTH], side: 'debit' }),
  row('0220', '000000', '06', '24', 'capture', 'completion-advice', { original: [PREAUTH], side: 'debit' }),
  row('0200', '200000', '06', '21', 'void', 'completion-void', { original: COMPLETION }),
  row('0200', '630000', '00', '45', 'load', 'load', { side: 'debit' }),
  row('0200', '310000', '65', '03', 'balance', 'points-balance', { points: true }),
  row('0200', '000000', '65', '22', 'points_redeem', 'points-purchase', { points: true }),
];

const BY_CLASS = new Map(TXN_ROWS.map((r) => [classOf(r), r]));
/** Reversals: the class of the original is found from DE3/DE25/60.1 alone (MTIs differ). */
const BY_CODES = new Map(TXN_ROWS.map((r) => [`${r.de3}${r.de25}${r.f601}`, r]));

/** The row of a class (e.g. an original's), if any. */
export const rowOfClass = (cls: string): TxnRow | undefined => BY_CLASS.get(cls);

/** 60.1 type, 60.2 batch and 60.3 network code of a message (empty strings when absent). */
export function field60(m: IsoMessage): { type: string; batch: string; network: string } {
  const v = text(m, 60) ?? '';
  return { type: v.slice(0, 2), batch: v.slice(2, 8), network: v.slice(8, 11) };
}

/** 61.1 batch, 61.2 STAN, 61.3 date (MMDD) of a message. */
export function field61(m: IsoMessage): { batch: string; stan: string; date: string } {
  const v = text(m, 61) ?? '';
  return { batch: v.slice(0, 6), stan: v.slice(6, 12), date: v.slice(12, 16) };
}

/** Request MTI with the repeat digit cleared (0401 → 0400, 0421 → 0420, 0221 → 0220). */
export const baseMti = (mti: string): string => (mti.endsWith('1') ? `${mti.slice(0, 3)}0` : mti);

export type Classified =
  | { kind: 'txn'; row: TxnRow; cls: string }
  | { kind: 'reversal'; original: TxnRow; cls: 'R' }
  | { kind: 'unknown' };

/** Which row of the message table a financial request is (0100, 0200, 0220, 0400 families). */
export function classify(m: IsoMessage): Classified {
  const mti = baseMti(m.mti);
  const codes = `${text(m, 3) ?? ''}${text(m, 25) ?? ''}${field60(m).type}`;
  if (mti === '0400' || mti === '0420') {
    const original = BY_CODES.get(codes);
    return original ? { kind: 'reversal', original, cls: 'R' } : { kind: 'unknown' };
  }
  const r = BY_CLASS.get(`${mti}${codes}`);
  return r ? { kind: 'txn', row: r, cls: classOf(r) } : { kind: 'unknown' };
}

/**
 * The core request_id of an ISO idempotency key (merchant, terminal, batch, STAN, class):
 * deterministic, so a retry, a reversal or a void finds the same id. Readable when it fits the
 * 64 characters of [A-Za-z0-9_.:-] (codes cannot contain ':'), else a hash of the key.
 */
export function requestIdOf(merchant: string, terminal: string, batch: string, stan: string, cls: string): string {
  const plain = `P:${merchant}:${terminal}:${batch}:${stan}:${cls}`;
  if (plain.length <= 64 && /^[A-Za-z0-9_.:-]+$/.test(plain)) return plain;
  return `P:h:${crypto.createHash('sha256').update(JSON.stringify([merchant, terminal, batch, stan, cls])).digest('hex').slice(0, 40)}`;
}
