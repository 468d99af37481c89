import { luhnValid, maskPan } from '../cards/luhn.js';
import type { CsvLine } from './csv-line.js';

/** Why a load row was not applied (the `reason` column of a rejects file). */
export type RejectReason =
  // the line itself (decided while reading the file)
  | 'line_too_long' | 'invalid_character' | 'malformed_csv' | 'column_count'
  | 'invalid_card' | 'luhn_failed' | 'invalid_amount' | 'invalid_reference'
  // the row against the database
  | 'unknown_card' | 'duplicate_reference' | 'not_stored_value' | 'not_reloadable' | 'no_holder'
  | 'card_not_active' | 'card_expired' | 'exceeds_max_balance';

/** A detail line after the checks that need no database. */
export interface CheckedRow {
  line: number;
  /** The card id, in a file whose first column is `card_id` (loads by id: HR never handles card numbers). */
  cardId: number | null;
  /** The card number when it is 13–19 digits and Luhn-valid (only ever turned into a token and a mask). */
  pan: string | null;
  /** First 6 and last 4 digits when the card field looks like a card number; '' otherwise (never the field itself). */
  masked: string;
  /** The amount when it is a valid load amount (digits only, > 0). */
  amount: number | null;
  /** The amount as written, for control totals: an optionally signed integer, else null (unreadable). */
  written: bigint | null;
  reference: string | null;
  reason: RejectReason | null;
  message: string | null;
}

/** Longest line accepted (a valid row is under 100 bytes); longer ones are rejected unread. */
export const MAX_LINE_BYTES = 4096;
/** 1 to 64 of A-Z a-z 0-9 _ . : - and CJK ideographs (migration 000191 checks the same set). */
export const REFERENCE_FORMAT = /^[A-Za-z0-9_.:\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF-]{1,64}$/;
const CARD_FORMAT = /^[0-9]{13,19}$/;
const CARD_ID_FORMAT = /^[1-9][0-9]{0,11}$/;
const AMOUNT_FORMAT = /^[0-9]{1,15}$/;
const WRITTEN_AMOUNT = /^-?[0-9]{1,15}$/;
/** NUL, the other C0 controls (tab excepted) and DEL never belong in a load file. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/**
 * Checks one detail line of a load file (`card,amount,reference`, or `card_id,amount,reference`
 * with `byCardId`) without the database. The first failing check names the reason; later fields
 * are still read where possible so control totals and duplicate detection see what was written.
 */
export function checkLoadRow(line: number, text: string | null, csv: (text: string) => CsvLine, byCardId = false): CheckedRow {
  const row: CheckedRow = { line, cardId: null, pan: null, masked: '', amount: null, written: null, reference: null, reason: null, message: null };
  const reject = (reason: RejectReason, message: string) => {
    if (row.reason === null) {
      row.reason = reason;
      row.message = message;
    }
  };
  if (text === null) {
    reject('line_too_long', `line is longer than ${MAX_LINE_BYTES} bytes`);
    return row;
  }
  if (hasControl(text)) {
    reject('invalid_character', 'line contains a NUL or other control character');
    return row;
  }
  const parsed = csv(text);
  if (parsed.error !== undefined) {
    reject('malformed_csv', `malformed CSV: ${parsed.error}`);
    return row;
  }
  const fields = parsed.fields;
  if (fields.length !== 3) {
    if (CARD_FORMAT.test(fields[0] ?? '')) row.masked = maskPan(fields[0]!); // identifies the row in the rejects file
    reject('column_count', `expected 3 fields (card,amount,reference), found ${fields.length}`);
    return row;
  }
  const [card, amount, reference] = fields as [string, string, string];

  if (byCardId) {
    // The rejects file shows the id as written; a card number put here by mistake only masked.
    if (CARD_ID_FORMAT.test(card)) {
      row.cardId = Number(card);
      row.masked = `card_id:${card}`;
    } else {
      if (CARD_FORMAT.test(card)) row.masked = maskPan(card);
      reject('invalid_card', 'card_id must be a card id: 1 to 12 digits, not starting with 0 (the card_id column of the personalization file)');
    }
  } else if (CARD_FORMAT.test(card)) {
    row.masked = maskPan(card);
    if (luhnValid(card)) row.pan = card;
    else reject('luhn_failed', 'card number fails the Luhn check');
  } else {
    reject('invalid_card', 'card must be 13 to 19 digits');
  }

  if (WRITTEN_AMOUNT.test(amount)) row.written = BigInt(amount);
  if (AMOUNT_FORMAT.test(amount) && Number(amount) > 0) row.amount = Number(amount);
  else reject('invalid_amount', 'amount must be a whole number of minor units greater than 0, written with the digits 0-9 only');

  if (REFERENCE_FORMAT.test(reference)) row.reference = reference;
  else reject('invalid_reference', 'reference must be 1 to 64 characters from A-Z a-z 0-9 _ . : - and Chinese characters');
  return row;
}
