import { stringify } from 'csv-stringify/sync';
import { AtomicFile } from './atomic-file.js';
import { safeCell } from './safe-cell.js';
import { scrubPans } from '../cards/luhn.js';

/** One rejected row as the rejects file shows it. The card is only ever a mask. */
export interface RejectRow {
  line: number;
  masked: string;
  reference: string | null;
  reason: string;
  message: string;
}

export const REJECTS_HEADER = ['line', 'card', 'reference', 'reason', 'message'];

/**
 * Writes `<FILE>.rejects.csv` (design §6): `line,card,reference,reason,message`, one row per
 * rejected line in line order, the card masked (first 6 and last 4 digits, or empty when the
 * field was not a card number), cells made spreadsheet-safe, Luhn-valid digit runs in the
 * reference masked too. Written to a partial file and renamed into place on `commit`.
 */
export class RejectsFile {
  count = 0;

  private constructor(private readonly file: AtomicFile) {}

  static async open(target: string): Promise<RejectsFile> {
    const file = await AtomicFile.open(target, 0o644);
    await file.write(stringify([REJECTS_HEADER]));
    return new RejectsFile(file);
  }

  get path(): string {
    return this.file.target;
  }

  async add(rows: readonly RejectRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.count += rows.length;
    await this.file.write(stringify(rows.map((r) => [
      r.line, safeCell(r.masked), safeCell(r.reference === null ? '' : scrubPans(r.reference)), r.reason, safeCell(scrubPans(r.message)),
    ])));
  }

  commit(): Promise<void> {
    return this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}
