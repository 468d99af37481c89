import { AtomicFile } from '../../batch/atomic-file.js';
import { encodeText, type PeopleFormat } from './format.js';
import { sheetCsv, type Sheet } from './sheet.js';
import { localTime } from './time.js';
import { workbook } from './xlsx.js';

/** The UTC offset of `timezone` on business date `date` (`+08:00`). */
export function offsetOn(date: string, timezone: string): string {
  return localTime(new Date(`${date}T12:00:00Z`), timezone).slice(19);
}

/**
 * The bytes of a file for people: the sheets as CSV (one after another, a blank line between)
 * in the chosen encoding, or as an XLSX workbook stamped with `date` (design §6b).
 */
export async function peopleFileBytes(sheets: readonly Sheet[], fmt: PeopleFormat, date: string, timezone: string): Promise<Buffer> {
  if (fmt.xlsx) return workbook(sheets, fmt, date, offsetOn(date, timezone));
  return encodeText(sheets.map((s) => sheetCsv(s, fmt)).join('\n'), fmt.encoding);
}

/** Writes a file for people whole or not at all (mode 0644: it is meant to be sent). */
export async function writePeopleFile(target: string, sheets: readonly Sheet[], fmt: PeopleFormat, date: string, timezone: string): Promise<void> {
  const bytes = await peopleFileBytes(sheets, fmt, date, timezone);
  const file = await AtomicFile.open(target, 0o644);
  try {
    await file.writeBytes(bytes);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
}

/**
 * A CSV file for people written in parts (pages of rows), whole or not at all: the header and
 * byte-order mark once, then each part's rows, so a large table streams in flat memory.
 */
export class PeopleCsvFile {
  private started = false;

  private constructor(private readonly file: AtomicFile, private readonly fmt: PeopleFormat) {}

  static async open(target: string, fmt: PeopleFormat): Promise<PeopleCsvFile> {
    return new PeopleCsvFile(await AtomicFile.open(target, 0o644), fmt);
  }

  /** Appends `sheet` (its rows, totals and notes); the header only the first time. */
  async write(sheet: Sheet): Promise<void> {
    let text = sheetCsv(sheet, this.fmt);
    if (this.started) text = text.slice(text.indexOf('\n') + 1);
    const encoding = this.started && this.fmt.encoding === 'utf8-bom' ? 'utf8' : this.fmt.encoding;
    await this.file.writeBytes(encodeText(text, encoding));
    this.started = true;
  }

  commit(): Promise<void> {
    return this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}
