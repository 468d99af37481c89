import type { Keyring } from './keys.js';
import { randomPan } from './pan.js';
import { encrypt, panToken } from './vault.js';
import type { RandomPool } from './random-pool.js';

/** Where new PANs are drawn: the program's BIN and PAN length. */
export interface DrawSpec {
  bin: string;
  panLength: number;
}

/**
 * Drawn cards, index-aligned: the PAN (in memory only until the personalization file has it), its
 * HMAC token in hex, and its COPY text cells `pan_token<TAB>pan_last4<TAB>pan_cipher` (token and
 * AES-GCM ciphertext as bytea hex), ready for `copy cards`.
 */
export interface DrawnCards {
  pans: string[];
  tokens: string[];
  cells: string[];
}

/** One new card's PAN, token and COPY cells. */
export function drawOne(keys: Keyring, spec: DrawSpec, pool: RandomPool): { pan: string; token: string; cell: string } {
  const pan = randomPan(spec.bin, spec.panLength, pool.take);
  const token = panToken(keys, pan).toString('hex');
  const cipher = encrypt(keys, pan, pool.take).cipher.toString('hex');
  return { pan, token, cell: `\\\\x${token}\t${pan.slice(-4)}\t\\\\x${cipher}` };
}

/** Draws `n` cards with PANs distinct among themselves (synchronous; see draw-worker.ts). */
export function drawCards(keys: Keyring, spec: DrawSpec, n: number, pool: RandomPool): DrawnCards {
  const out: DrawnCards = { pans: [], tokens: [], cells: [] };
  const seen = new Set<string>();
  while (out.pans.length < n) {
    const card = drawOne(keys, spec, pool);
    if (seen.has(card.pan)) continue;
    seen.add(card.pan);
    out.pans.push(card.pan);
    out.tokens.push(card.token);
    out.cells.push(card.cell);
  }
  return out;
}
