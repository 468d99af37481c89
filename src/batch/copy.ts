import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value as one field of COPY's text format: `\N` for null, bytea as `\\x<hex>`, text escaped. */
export function copyField(value: string | number | Buffer | Date | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  if (Buffer.isBuffer(value)) return `\\\\x${value.toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/**
 * Streams text-format COPY data into the database: `sql` is a `COPY … FROM STDIN` statement and
 * `data` yields blocks of complete lines (`field\tfield\n…`). Backpressure flows from the server
 * to the source, so memory stays bounded by one block. Resolves to the rows copied.
 */
export async function copyIn(client: pg.ClientBase, sql: string, data: Iterable<string> | AsyncIterable<string>): Promise<number> {
  const sink = client.query(copyFrom(sql));
  await pipeline(Readable.from(data, { objectMode: false }), sink);
  return sink.rowCount;
}
