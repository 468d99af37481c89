import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type pg from 'pg';
import type { Keyring } from './keys.js';
import { randomPan } from './pan.js';
import { encrypt, panToken } from './vault.js';
import type { RandomPool } from './random-pool.js';
import { copyField, copyIn } from '../batch/copy.js';

/** The program fields bulk issuance needs. */
export interface IssueProgram {
  id: number;
  code: string;
  issuer_id: number;
  bin: string;
  pan_length: number;
  validity_months: number | null;
  activate_on_issue: boolean;
  currency: string;
  issuance_fee: number;
}

/** One chunk of new cards: PANs (in memory only for this chunk), their tokens and ciphertexts. */
export interface CardChunk {
  pans: string[];
  tokens: Buffer[];
  ciphers: Buffer[];
  ids: number[];
}

/** The row fields every card of a batch shares. */
export interface BatchRow {
  program: IssueProgram;
  batchId: number;
  status: 'issued' | 'active';
  expiry: string | null;
  issuedAt: Date;
}

const SLICE = 2_000;

/**
 * Draws `n` random PANs distinct within the chunk, with token and ciphertext. Yields to the event
 * loop every 2,000 cards so the COPY of the previous chunk keeps streaming meanwhile.
 */
export async function drawChunk(keys: Keyring, program: IssueProgram, n: number, pool: RandomPool): Promise<CardChunk> {
  const chunk: CardChunk = { pans: [], tokens: [], ciphers: [], ids: [] };
  const seen = new Set<string>();
  while (chunk.pans.length < n) {
    const pan = randomPan(program.bin, program.pan_length, pool.take);
    if (seen.has(pan)) continue;
    seen.add(pan);
    chunk.pans.push(pan);
    chunk.tokens.push(panToken(keys, pan));
    chunk.ciphers.push(encrypt(keys, pan, pool.take).cipher);
    if (chunk.pans.length % SLICE === 0) await yieldToLoop();
  }
  return chunk;
}

/**
 * Replaces every PAN of the chunk that an existing card already has — committed, or issued by an
 * earlier chunk of this transaction — until none does, then reserves the chunk's card ids.
 * (With 9 random digits, 1,000,000 cards meet a few hundred such collisions.)
 */
export async function settleChunk(client: pg.ClientBase, keys: Keyring, program: IssueProgram, chunk: CardChunk, pool: RandomPool): Promise<void> {
  let check = chunk.tokens;
  let where = chunk.tokens.map((_, i) => i);
  const inChunk = new Set(chunk.pans);
  while (check.length > 0) {
    const { rows } = await client.query<{ pan_token: Buffer }>('select pan_token from cards where pan_token = any($1::bytea[])', [check]);
    const taken = new Set(rows.map((r) => r.pan_token.toString('hex')));
    const redo: number[] = where.filter((_, k) => taken.has(check[k]!.toString('hex')));
    for (const i of redo) {
      let pan: string;
      do pan = randomPan(program.bin, program.pan_length, pool.take); while (inChunk.has(pan));
      inChunk.add(pan);
      chunk.pans[i] = pan;
      chunk.tokens[i] = panToken(keys, pan);
      chunk.ciphers[i] = encrypt(keys, pan, pool.take).cipher;
    }
    where = redo;
    check = redo.map((i) => chunk.tokens[i]!);
  }
  const { rows } = await client.query<{ id: number }>(
    `select nextval(pg_get_serial_sequence('cards', 'id')) as id from generate_series(1, $1::int)`, [chunk.pans.length]);
  chunk.ids = rows.map((r) => r.id);
}

/** COPYs the chunk's cards and their value accounts (card ids reserved by settleChunk). */
export async function copyChunk(client: pg.ClientBase, keys: Keyring, chunk: CardChunk, row: BatchRow): Promise<void> {
  const shared = [
    row.status, copyField(row.expiry), row.batchId, row.issuedAt.toISOString(), row.status === 'active' ? row.issuedAt.toISOString() : '\\N',
  ].join('\t');
  const head = `${row.program.id}\t`;
  const keyId = copyField(keys.current);
  let cards = '';
  let accounts = '';
  for (let i = 0; i < chunk.pans.length; i++) {
    const id = chunk.ids[i]!;
    cards += `${id}\t${head}${copyField(chunk.tokens[i]!)}\t${chunk.pans[i]!.slice(-4)}\t${copyField(chunk.ciphers[i]!)}\t${keyId}\t${shared}\n`;
    accounts += `${id}\t${row.program.currency}\n`;
  }
  await copyIn(client, CARDS_COPY, [cards]);
  await copyIn(client, 'copy card_accounts (card_id, asset) from stdin', [accounts]);
}

export const CARDS_COPY = 'copy cards (id, program_id, pan_token, pan_last4, pan_cipher, key_id, status, expiry_date, batch_id, issued_at, activated_at) from stdin';
