import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type pg from 'pg';
import type { Keyring } from './keys.js';
import { drawCards, drawOne, type DrawnCards, type DrawSpec } from './draw.js';
import type { DrawWorkerData } from './draw-worker.js';
import { RandomPool } from './random-pool.js';
import { copyField, copyIn } from '../batch/copy.js';
import { PAN_TOKENS_COPY } from './pan-tokens.js';

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

/** One chunk of new cards (DrawnCards) and, once settled, their reserved card ids. */
export interface CardChunk extends DrawnCards {
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

/** Draws chunks of new cards; `close` when done. */
export interface CardDrawer {
  /** Starts drawing `n` cards (at most one draw is in flight; call again after it resolves). */
  draw(n: number): Promise<CardChunk>;
  close(): Promise<void>;
}

const SLICE = 2_000;
const WORKER = new URL('./draw-worker.js', import.meta.url);

/**
 * A drawer on a worker thread when the compiled worker exists (the CLI runs from dist/), so the
 * CPU of drawing (HMAC + AES-GCM per card) overlaps the COPY of the previous chunk on the other
 * core; otherwise (running from TypeScript sources, as the tests do) the same drawCards on this
 * thread, yielding every 2,000 cards so a COPY in flight keeps streaming.
 */
export function cardDrawer(keys: Keyring, program: IssueProgram): CardDrawer {
  const spec: DrawSpec = { bin: program.bin, panLength: program.pan_length };
  if (fs.existsSync(fileURLToPath(WORKER))) return workerDrawer(keys, spec);
  const pool = new RandomPool();
  return {
    async draw(n) {
      const chunk: CardChunk = { pans: [], tokens: [], cells: [], ids: [] };
      const seen = new Set<string>();
      while (chunk.pans.length < n) {
        const part = drawCards(keys, spec, Math.min(SLICE, n - chunk.pans.length), pool);
        part.pans.forEach((pan, i) => {
          if (seen.has(pan)) return;
          seen.add(pan);
          chunk.pans.push(pan);
          chunk.tokens.push(part.tokens[i]!);
          chunk.cells.push(part.cells[i]!);
        });
        await yieldToLoop();
      }
      return chunk;
    },
    close: async () => undefined,
  };
}

function workerDrawer(keys: Keyring, spec: DrawSpec): CardDrawer {
  const workerData: DrawWorkerData = { keys: { current: keys.current, encryption: { [keys.current]: keys.encryption[keys.current]! }, token: keys.token }, spec };
  // The worker holds one chunk at a time (about 3 MB for 10,000 cards); capping its heap keeps
  // the process's peak RSS bounded (design §7: under 300 MB) instead of letting V8 grow lazily.
  const worker = new Worker(WORKER, { workerData, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 } });
  let pending: { resolve: (c: CardChunk) => void; reject: (e: unknown) => void } | undefined;
  let failed: unknown;
  const fail = (err: unknown) => {
    failed ??= err;
    pending?.reject(err);
    pending = undefined;
  };
  worker.on('message', (chunk: DrawnCards) => {
    pending?.resolve({ ...chunk, ids: [] });
    pending = undefined;
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`card draw worker exited with code ${code}`)));
  return {
    draw(n) {
      if (failed) return Promise.reject(failed);
      if (pending) return Promise.reject(new Error('card draw already in flight'));
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        worker.postMessage(n);
      });
    },
    async close() {
      failed ??= new Error('card drawer closed');
      await worker.terminate();
    },
  };
}

/**
 * Replaces every PAN of the chunk that an existing card already has — committed, or issued by an
 * earlier chunk of this transaction — until none does, then reserves the chunk's card ids.
 * (With 9 random digits, 1,000,000 cards meet a few hundred such collisions.)
 */
export async function settleChunk(client: pg.ClientBase, keys: Keyring, program: IssueProgram, chunk: CardChunk, pool: RandomPool, tokenTable = false): Promise<void> {
  const spec: DrawSpec = { bin: program.bin, panLength: program.pan_length };
  let where = chunk.tokens.map((_, i) => i);
  const inChunk = new Set(chunk.pans);
  // On Citus the tokens are looked up where they are unique and placed (pan-tokens.ts).
  const taken = tokenTable ? TAKEN_TOKENS_SQL.replace('from cards', 'from card_pan_tokens') : TAKEN_TOKENS_SQL;
  while (where.length > 0) {
    const { rows } = await client.query<{ token: string }>(taken, [where.map((i) => `\\x${chunk.tokens[i]!}`)]);
    const found = new Set(rows.map((r) => r.token));
    const redo = where.filter((i) => found.has(chunk.tokens[i]!));
    for (const i of redo) {
      let card: ReturnType<typeof drawOne>;
      do card = drawOne(keys, spec, pool); while (inChunk.has(card.pan));
      inChunk.add(card.pan);
      chunk.pans[i] = card.pan;
      chunk.tokens[i] = card.token;
      chunk.cells[i] = card.cell;
    }
    where = redo;
  }
  const { rows } = await client.query<{ id: number }>(
    `select nextval(pg_get_serial_sequence('cards', 'id')) as id from generate_series(1, $1::int)`, [chunk.pans.length]);
  chunk.ids = rows.map((r) => r.id);
}

/**
 * COPYs the chunk's cards and their value accounts (card ids reserved by settleChunk), streamed in
 * blocks of 256 rows: each block string stays small enough for V8's young generation, so a million
 * cards leave short-lived garbage only instead of megabyte strings that pile up in the old
 * generation until a full collection (peak RSS, design §7).
 */
export async function copyChunk(client: pg.ClientBase, keys: Keyring, chunk: CardChunk, row: BatchRow, tokenTable = false): Promise<void> {
  const shared = [
    copyField(keys.current), row.status, copyField(row.expiry), row.batchId, row.issuedAt.toISOString(), row.status === 'active' ? row.issuedAt.toISOString() : '\\N',
  ].join('\t');
  const head = `\t${row.program.id}\t`;
  const currency = `\t${row.program.currency}\n`;
  // Citus: the tokens first, under their primary key (a PAN another issuance took meanwhile fails the COPY, as the unique key of cards does on a single server).
  if (tokenTable) await copyIn(client, PAN_TOKENS_COPY, blocks(chunk.ids.length, (i) => `\\\\x${chunk.tokens[i]!}\t${chunk.ids[i]!}\n`));
  await copyIn(client, CARDS_COPY, blocks(chunk.ids.length, (i) => `${chunk.ids[i]!}${head}${chunk.cells[i]!}\t${shared}\n`));
  await copyIn(client, 'copy card_accounts (card_id, asset) from stdin', blocks(chunk.ids.length, (i) => `${chunk.ids[i]!}${currency}`));
}

const BLOCK = 256;

/** Lines `line(0)`..`line(n - 1)` joined in blocks of BLOCK. */
export function* blocks(n: number, line: (i: number) => string): Generator<string> {
  for (let lo = 0; lo < n; lo += BLOCK) {
    let text = '';
    for (let i = lo; i < Math.min(lo + BLOCK, n); i++) text += line(i);
    yield text;
  }
}

const TAKEN_TOKENS_SQL = `select encode(pan_token, 'hex') as token from cards where pan_token = any($1::bytea[])`;

export const CARDS_COPY = 'copy cards (id, program_id, pan_token, pan_last4, pan_cipher, key_id, status, expiry_date, batch_id, issued_at, activated_at) from stdin';
