import { createRequire } from 'node:module';

let csvParse: typeof import('csv-parse/sync') | undefined;

/** The fields of one CSV line, or why it cannot be read. */
export type CsvLine = { fields: string[]; error?: undefined } | { fields?: undefined; error: string };

const MESSAGES: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'unterminated quote',
  CSV_INVALID_CLOSING_QUOTE: 'characters after a closing quote',
  CSV_INVALID_OPENING_QUOTE: 'a quote inside an unquoted field',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'characters after a closing quote',
};

/**
 * Parses one line as a CSV record (RFC 4180, comma-separated, `"` quotes with `""` escapes).
 * Records never span lines here: a quoted field left open at the end of its line is an
 * unterminated quote, so one hostile line cannot swallow the lines after it (which csv-parse's
 * streaming mode would do). Lines without quotes take a plain split, the common fast path.
 */
export function parseCsvLine(text: string): CsvLine {
  if (!text.includes('"')) return { fields: text.split(',') };
  // Loaded on the first quoted line only: files without quotes (most) skip its start-up.
  csvParse ??= createRequire(import.meta.url)('csv-parse/sync') as typeof import('csv-parse/sync');
  const { parse, CsvError } = csvParse;
  try {
    const records = parse(text, { relax_column_count: true, bom: false, record_delimiter: ['\n'] }) as string[][];
    if (records.length !== 1) return { error: 'malformed record' };
    return { fields: records[0]! };
  } catch (err) {
    if (err instanceof CsvError) return { error: MESSAGES[err.code] ?? `malformed CSV (${err.code})` };
    throw err;
  }
}
