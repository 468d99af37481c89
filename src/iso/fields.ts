/**
 * The field table of the China UnionPay POS dialect of ISO 8583:1987 (design §5b). One row per
 * data element: how it is encoded and how long it may be. The codec reads only this table.
 *
 * enc: `n` BCD digits (odd lengths left-aligned, trailing 0 nibble), `z` track data (BCD, `=` as
 * nibble D), `a` ASCII (an/ans, space-padded when fixed), `b` binary. `len` is digits for n/z and
 * bytes otherwise; `prefix` 0 = fixed, 2 = LLVAR (1 BCD byte), 3 = LLLVAR (2 BCD bytes).
 */
export interface FieldDef {
  name: string;
  enc: 'n' | 'z' | 'a' | 'b';
  len: number;
  prefix: 0 | 2 | 3;
  /** Card data (DE2, 35, 36, 52, 55): never logged, never stored in clear. */
  secret?: true;
}

export const FIELDS: Readonly<Record<number, FieldDef>> = {
  2: { name: 'pan', enc: 'n', len: 19, prefix: 2, secret: true },
  3: { name: 'processing code', enc: 'n', len: 6, prefix: 0 },
  4: { name: 'amount', enc: 'n', len: 12, prefix: 0 },
  11: { name: 'stan', enc: 'n', len: 6, prefix: 0 },
  12: { name: 'local time', enc: 'n', len: 6, prefix: 0 },
  13: { name: 'local date', enc: 'n', len: 4, prefix: 0 },
  14: { name: 'expiry', enc: 'n', len: 4, prefix: 0 },
  15: { name: 'settlement date', enc: 'n', len: 4, prefix: 0 },
  22: { name: 'entry mode', enc: 'n', len: 3, prefix: 0 },
  23: { name: 'card sequence', enc: 'n', len: 3, prefix: 0 },
  25: { name: 'condition code', enc: 'n', len: 2, prefix: 0 },
  26: { name: 'pin capture', enc: 'n', len: 2, prefix: 0 },
  32: { name: 'acquirer id', enc: 'n', len: 11, prefix: 2 },
  35: { name: 'track 2', enc: 'z', len: 37, prefix: 2, secret: true },
  36: { name: 'track 3', enc: 'z', len: 104, prefix: 3, secret: true },
  37: { name: 'rrn', enc: 'a', len: 12, prefix: 0 },
  38: { name: 'auth code', enc: 'a', len: 6, prefix: 0 },
  39: { name: 'response code', enc: 'a', len: 2, prefix: 0 },
  41: { name: 'terminal', enc: 'a', len: 8, prefix: 0 },
  42: { name: 'merchant', enc: 'a', len: 15, prefix: 0 },
  44: { name: 'additional response', enc: 'a', len: 25, prefix: 2 },
  48: { name: 'additional data', enc: 'n', len: 322, prefix: 3 },
  49: { name: 'currency', enc: 'a', len: 3, prefix: 0 },
  52: { name: 'pin block', enc: 'b', len: 8, prefix: 0, secret: true },
  53: { name: 'security control', enc: 'n', len: 16, prefix: 0 },
  54: { name: 'balance', enc: 'a', len: 20, prefix: 3 },
  55: { name: 'icc data', enc: 'b', len: 255, prefix: 3, secret: true },
  // 60: n...17 in design §5b, but terminals append 60.4/60.5 flags (the design's own 0200 vector carries 19 digits).
  60: { name: 'reserved 60', enc: 'n', len: 19, prefix: 3 },
  61: { name: 'original data', enc: 'n', len: 29, prefix: 3 },
  62: { name: 'reserved 62', enc: 'b', len: 512, prefix: 3 },
  63: { name: 'reserved 63', enc: 'a', len: 163, prefix: 3 },
  64: { name: 'mac', enc: 'b', len: 8, prefix: 0 },
};
