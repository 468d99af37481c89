import iconv from 'iconv-lite';
import { InputError } from '../../errors.js';

/** Text encodings of files written for people (design §6b). */
export const ENCODINGS = ['utf8-bom', 'utf8', 'gbk'] as const;
export type Encoding = (typeof ENCODINGS)[number];
/** Column-name language. */
export const LANGS = ['zh', 'en'] as const;
export type Lang = (typeof LANGS)[number];
/** Amounts as yuan strings with two decimals, or integer fen. */
export const AMOUNT_UNITS = ['yuan', 'fen'] as const;
export type AmountUnit = (typeof AMOUNT_UNITS)[number];

/** How a file for people is written. */
export interface PeopleFormat {
  encoding: Encoding;
  lang: Lang;
  amounts: AmountUnit;
  xlsx: boolean;
}

/** The options as typed on the command line (validated by peopleFormat). */
export interface PeopleFormatInput {
  encoding?: unknown;
  lang?: unknown;
  amounts?: unknown;
  xlsx?: unknown;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], option: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InputError('invalid_option', `${option} must be one of ${allowed.join(', ')}`, option);
  }
  return value as T;
}

/**
 * Validates `--encoding`, `--lang`, `--amounts` and `--xlsx` against their allowed values, with
 * the given defaults for what was not typed. InputError names the option.
 */
export function peopleFormat(input: PeopleFormatInput, defaults: Omit<PeopleFormat, 'xlsx'>): PeopleFormat {
  return {
    encoding: oneOf(input.encoding, ENCODINGS, '--encoding', defaults.encoding),
    lang: oneOf(input.lang, LANGS, '--lang', defaults.lang),
    amounts: oneOf(input.amounts, AMOUNT_UNITS, '--amounts', defaults.amounts),
    xlsx: input.xlsx === true,
  };
}

/**
 * An integer amount of fen as an exact yuan string with two decimals (`-12.05`, `0.00`), made
 * from the integer's digits, never through floating point, so any safe integer or bigint is exact.
 */
export function yuan(fen: number | bigint): string {
  if (typeof fen === 'number' && !Number.isSafeInteger(fen)) throw new RangeError(`not an integer amount: ${fen}`);
  const v = BigInt(fen);
  const abs = v < 0n ? -v : v;
  const frac = (abs % 100n).toString().padStart(2, '0');
  return `${v < 0n ? '-' : ''}${abs / 100n}.${frac}`;
}

/** An amount in the chosen unit: the yuan string, or the integer fen as a decimal string. */
export function amountText(fen: number | bigint, unit: AmountUnit): string {
  return unit === 'yuan' ? yuan(fen) : BigInt(fen).toString();
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Encodes a whole text file. `utf8-bom` prefixes the byte-order mark that makes Excel in a Chinese
 * locale read UTF-8; `gbk` (CP936, what that Excel reads without a BOM) refuses text it cannot
 * represent — an InputError naming the first such character — instead of writing `?`.
 */
export function encodeText(text: string, encoding: Encoding): Buffer {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  if (encoding === 'utf8-bom') return Buffer.concat([BOM, Buffer.from(text, 'utf8')]);
  const bytes = iconv.encode(text, 'gbk');
  if (iconv.decode(bytes, 'gbk') !== text) {
    const bad = [...text].find((ch) => iconv.decode(iconv.encode(ch, 'gbk'), 'gbk') !== ch) ?? '?';
    throw new InputError('unencodable', `the text ${JSON.stringify(bad)} (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) cannot be written in GBK; use --encoding utf8-bom`, '--encoding');
  }
  return bytes;
}

/** The extension of a file for people in this format. */
export function extensionOf(fmt: PeopleFormat): string {
  return fmt.xlsx ? 'xlsx' : 'csv';
}
