import type { Command } from 'commander';
import type { Context } from '../context.js';
import { InputError } from '../errors.js';
import { encodeText, peopleFormat, type PeopleFormat, type PeopleFormatInput } from '../reports/people/format.js';
import { sheetCsv, type Sheet } from '../reports/people/sheet.js';
import { localTime } from '../reports/people/time.js';
import { peopleFileBytes, writePeopleFile } from '../reports/people/write.js';
import { XLSX_MAX_ROWS } from '../reports/people/xlsx.js';

/** The options of a report written for people (design §6b). */
export interface PeopleCliOptions extends PeopleFormatInput {
  out?: string;
  json?: boolean;
}

/**
 * Adds --out, --encoding, --lang, --amounts and --xlsx to a report command. Without any of them
 * the report prints as before (the §6 CSV: UTF-8, English names, fen); with one, it is written
 * for people: UTF-8 with BOM unless told otherwise.
 */
export function withPeopleOptions(c: Command): Command {
  return c
    .option('--out <file>', 'write the report to FILE, for people (UTF-8 with BOM by default)')
    .option('--encoding <encoding>', 'utf8-bom (default for people), utf8 or gbk')
    .option('--lang <lang>', 'column names: en (default) or zh')
    .option('--amounts <unit>', 'fen (default) or yuan (exact two-decimal strings)')
    .option('--xlsx', 'write an Excel workbook to --out FILE instead of CSV');
}

/** Whether any option for people was given. */
export function wantsPeople(o: PeopleCliOptions): boolean {
  return o.out !== undefined || o.encoding !== undefined || o.lang !== undefined || o.amounts !== undefined || o.xlsx === true;
}

/** The validated format of a report for people; InputError for --json with it, or --xlsx without --out. */
export function reportFormat(o: PeopleCliOptions): PeopleFormat {
  const fmt = peopleFormat(o, { encoding: 'utf8-bom', lang: 'en', amounts: 'fen' });
  if (o.json) throw new InputError('invalid_option', '--json prints JSON for programs; it does not combine with --out, --encoding, --lang, --amounts or --xlsx', '--json');
  if (fmt.xlsx && o.out === undefined) throw new InputError('invalid_option', '--xlsx writes a workbook: give --out FILE', '--out');
  return fmt;
}

/** Today's business date in the business timezone (an XLSX's creation date when a report has no last date). */
export function today(ctx: Context): string {
  return localTime(ctx.clock.now(), ctx.calendar.timezone).slice(0, 10);
}

/** Writes the sheets to --out (whole or not at all) or to stdout. */
export async function emitPeople(ctx: Context, o: PeopleCliOptions, sheets: readonly Sheet[], date: string): Promise<void> {
  const fmt = reportFormat(o);
  if (o.out !== undefined) await writePeopleFile(o.out, sheets, fmt, date, ctx.calendar.timezone);
  else process.stdout.write(await peopleFileBytes(sheets, fmt, date, ctx.calendar.timezone));
}

/**
 * Streams pages of rows as one CSV for people (header once, BOM once), or collects them into one
 * XLSX sheet (at most an XLSX's row limit).
 */
export async function emitPeoplePages(
  ctx: Context, o: PeopleCliOptions, sheet: Omit<Sheet, 'rows'>, pages: AsyncIterable<Sheet['rows']>, date: string,
  write: (bytes: Buffer) => Promise<void>,
): Promise<void> {
  const fmt = reportFormat(o);
  if (fmt.xlsx) {
    const rows: Sheet['rows'][number][] = [];
    for await (const page of pages) {
      rows.push(...page);
      if (rows.length >= XLSX_MAX_ROWS) throw new InputError('too_many_rows', `more than ${XLSX_MAX_ROWS - 1} rows do not fit an XLSX sheet; narrow the filters or write CSV`, '--xlsx');
    }
    await writePeopleFile(o.out!, [{ ...sheet, rows }], fmt, date, ctx.calendar.timezone);
    return;
  }
  let first = true;
  for await (const page of pages) {
    let text = sheetCsv({ ...sheet, rows: page }, fmt);
    if (!first) text = text.slice(text.indexOf('\n') + 1);
    await write(encodeText(text, first ? fmt.encoding : fmt.encoding === 'utf8-bom' ? 'utf8' : fmt.encoding));
    first = false;
  }
  if (first) await write(encodeText(sheetCsv({ ...sheet, rows: [] }, fmt), fmt.encoding));
}
