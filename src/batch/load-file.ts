import fs from 'node:fs';
import type pg from 'pg';
import { InputError } from '../errors.js';
import type { Keyring } from '../cards/keys.js';
import { panToken } from '../cards/vault.js';
import { readLines } from './lines.js';
import { parseCsvLine } from './csv-line.js';
import { checkLoadRow, MAX_LINE_BYTES } from './load-row.js';
import { parseTrailer, type ControlTotals, type FoundTotals } from './control-totals.js';
import { copyField, copyIn } from './copy.js';
import type { Progress } from './progress.js';
import { lineDecoder, type InputEncoding } from './text-encoding.js';

/** The staging table of one load run (temporary: it lives and dies with the run's connection). */
export const ROWS_TABLE = 'purse_load_rows';

/** What reading a load file found. */
export interface StagedFile {
  found: FoundTotals;
  trailer: ControlTotals | null;
  /** The file names cards by id (`card_id` column), not by number. */
  byCardId: boolean;
  /** The encoding the file was read in (given, or detected). */
  encoding: InputEncoding;
}

const HEADER = ['card', 'amount', 'reference'];
// Header names per column, English or Chinese (HR systems in China export 卡号,金额,流水号); the
// first column may name card ids instead of card numbers.
const CARD_NAMES = ['card', '卡号'];
const CARD_ID_NAMES = ['card_id', '卡片id'];
const AMOUNT_NAMES = ['amount', '金额'];
const REFERENCE_NAMES = ['reference', '流水号'];
const HEADER_HELP = 'card,amount,reference (or 卡号,金额,流水号; card_id or 卡片ID instead of card to load by card id)';

/**
 * Reads a load file once, streaming (design §6): checks the header, checks every detail line
 * without the database (checkLoadRow), reads the optional trailer, and COPYs one row per detail
 * line into the temporary table `purse_load_rows` — the card only as its HMAC token and its mask,
 * never in clear. Memory stays bounded by one input chunk whatever the file size. Throws
 * InputError naming the line for a file that cannot be a load file (no or wrong header, a
 * malformed trailer, lines after the trailer).
 */
export async function stageLoadFile(client: pg.ClientBase, keys: Keyring, file: string, bar: Progress, encoding?: InputEncoding): Promise<StagedFile> {
  await createRowsTable(client);
  const found: FoundTotals = { count: 0, total: 0n, unreadableLine: null };
  let trailer: ControlTotals | null = null;
  let header = false;
  let byCardId = false;
  const decoder = lineDecoder(encoding);

  async function* copyData(): AsyncGenerator<string> {
    const input = fs.createReadStream(file, { highWaterMark: 1 << 16 });
    for await (const lines of readLines(input, MAX_LINE_BYTES, decoder.decode)) {
      let block = '';
      for (const { no, text, unterminated } of lines) {
        // A file copied or written in place can be read half-way: its last record would be applied
        // cut short, then again whole under a longer reference (design §6b). Nothing is posted
        // before the whole file is staged, so refusing here posts nothing.
        if (unterminated) {
          throw new InputError('truncated_file', `line ${no}: the last line has no line ending, so the file looks truncated (still being written?); file refused, nothing posted. Move load files into place complete (write elsewhere, then rename)`, `line ${no}`);
        }
        if (text === '') continue; // blank lines are not detail lines
        if (!header) {
          byCardId = checkHeader(no, text);
          header = true;
          continue;
        }
        if (trailer) throw new InputError('bad_trailer', `line ${no}: a line follows the trailer (${trailer.source}); the trailer must be the last line`, `line ${no}`);
        if (text !== null && text.startsWith('TRAILER')) {
          const t = parseCsvLine(text);
          if (t.fields?.[0] === 'TRAILER') {
            trailer = parseTrailer(t.fields, no);
            continue;
          }
        }
        const row = checkLoadRow(no, text, parseCsvLine, byCardId);
        found.count++;
        if (row.written === null) found.unreadableLine ??= no;
        else found.total += row.written;
        block += [
          found.count, no, row.pan === null ? null : panToken(keys, row.pan), row.cardId, row.masked, row.amount, row.reference, row.reason, row.message,
        ].map(copyField).join('\t') + '\n';
      }
      bar.update(found.count);
      if (block) yield block;
    }
  }

  await copyIn(client, `copy ${ROWS_TABLE} (seq, line, token, card_id, masked, amount, reference, reason, message) from stdin`, copyData());
  if (!header) throw new InputError('bad_header', `${file}: empty file; expected the header ${HEADER_HELP}`, 'line 1');
  bar.finish(found.count);
  return { found, trailer, byCardId, encoding: decoder.encoding() };
}

/** Creates the run's staging table (a pending approval's rows are restored into it too). */
export async function createRowsTable(client: pg.ClientBase): Promise<void> {
  await client.query(`
    create temporary table ${ROWS_TABLE} (
      seq integer not null, line integer not null, token bytea, card_id bigint, masked text not null,
      amount bigint, reference text, reason text, message text
    )`);
}

/** Checks the header line; true when its first column names card ids. InputError naming the line otherwise. */
function checkHeader(no: number, text: string | null): boolean {
  const fields = text === null ? undefined : parseCsvLine(text).fields?.map((f) => f.trim().toLowerCase());
  const ok = fields?.length === HEADER.length && [...CARD_NAMES, ...CARD_ID_NAMES].includes(fields[0]!)
    && AMOUNT_NAMES.includes(fields[1]!) && REFERENCE_NAMES.includes(fields[2]!);
  if (!ok) throw new InputError('bad_header', `line ${no}: expected the header ${HEADER_HELP}`, `line ${no}`);
  return CARD_ID_NAMES.includes(fields[0]!);
}

/** Opens the file for reading, turning "missing" or "not a file" into InputError. */
export async function checkReadable(file: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch {
    throw new InputError('file_not_found', `${file}: no such file`, 'FILE');
  }
  if (!stat.isFile()) throw new InputError('not_a_file', `${file} is not a regular file`, 'FILE');
}
