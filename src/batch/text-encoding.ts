import { createRequire } from 'node:module';
import { InputError } from '../errors.js';
import type { LineDecoder } from './lines.js';

/** Encodings an input file may be read in: UTF-8 (a BOM is dropped) or GBK (CP936, what HR and finance software in China writes). */
export type InputEncoding = 'utf8' | 'gbk';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

let iconv: typeof import('iconv-lite') | undefined;

/** GBK text to a string; iconv-lite is loaded on the first GBK file only (UTF-8 runs skip its start-up). */
function fromGbk(bytes: Buffer): string {
  iconv ??= createRequire(import.meta.url)('iconv-lite') as typeof import('iconv-lite');
  return iconv.decode(bytes, 'gbk');
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function hasHighByte(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b >= 0x80) return true;
  return false;
}

/** `--encoding` of an input file: utf8, gbk, or undefined (detect). InputError naming the option otherwise. */
export function inputEncoding(value: unknown): InputEncoding | undefined {
  if (value === undefined) return undefined;
  if (value === 'utf8' || value === 'gbk') return value;
  throw new InputError('invalid_option', '--encoding must be utf8 or gbk (or left out to detect)', '--encoding');
}

/**
 * A line decoder for a file in `encoding`, or detecting it: the first line holding a byte above
 * 0x7F decides — valid UTF-8 means UTF-8, anything else GBK (GBK text is almost never valid
 * UTF-8: its lead bytes 0x81–0xFE are followed by bytes UTF-8 does not allow there). Lines before
 * it are ASCII, the same in both. `encoding()` tells what was used (utf8 while undecided).
 */
export function lineDecoder(encoding: InputEncoding | undefined): { decode: LineDecoder; encoding: () => InputEncoding } {
  let chosen = encoding;
  const decode: LineDecoder = (bytes) => {
    if (chosen === undefined && hasHighByte(bytes)) chosen = isUtf8(bytes) ? 'utf8' : 'gbk';
    return chosen === 'gbk' ? fromGbk(bytes) : bytes.toString('utf8');
  };
  return { decode, encoding: () => chosen ?? 'utf8' };
}

/** A whole small file as text: a UTF-8 BOM dropped; UTF-8 when valid, else GBK. */
export function decodeFile(bytes: Buffer): string {
  if (bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))) return bytes.subarray(3).toString('utf8');
  return isUtf8(bytes) ? bytes.toString('utf8') : fromGbk(bytes);
}
