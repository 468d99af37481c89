import crypto from 'node:crypto';
import { luhnCheckDigit } from './luhn.js';

/**
 * A random PAN of `length` digits within `bin`, Luhn-valid. Digits come from the CSPRNG with
 * rejection sampling (no modulo bias), so PANs are never sequential or guessable from neighbours.
 * `random` supplies the CSPRNG bytes (bulk issuance passes a pooled source; each byte used once).
 */
export function randomPan(bin: string, length: number, random: (size: number) => Buffer = crypto.randomBytes): string {
  const need = length - bin.length - 1;
  let body = bin;
  while (body.length < bin.length + need) {
    for (const byte of random(need * 2)) {
      if (byte < 250 && body.length < bin.length + need) body += String(byte % 10);
    }
  }
  return body + String(luhnCheckDigit(body));
}
