import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { InputError } from '../errors.js';

/** One row of a personalization file for the card bureau (design §6). */
export interface PersonalizationRow { pan: string; expiry: string | null; cardId: number }

/**
 * A personalization file written in two steps around the database transaction that creates the
 * cards: `stage` writes a hidden temporary file (mode 0600, fsynced) in the target directory,
 * `publish` renames it into place after commit (atomic on one file system), `discard` removes
 * it when the transaction failed. Format (design §6): header `pan,expiry,card_id`, one line
 * per card (expiry `YYYY-MM-DD`, empty for named cards), trailer `TRAILER,<count>`.
 */
export class StagedCardFile {
  private readonly tmp: string;

  constructor(readonly dir: string) {
    this.tmp = path.join(dir, `.purse-cards-${process.pid}-${crypto.randomBytes(6).toString('hex')}.tmp`);
  }

  /** Refuses an explicit output path that already exists (never overwrite another batch's PANs). */
  static async checkFree(file: string): Promise<void> {
    try {
      await fs.access(file);
    } catch {
      return;
    }
    throw new InputError('out_exists', `${file} already exists; choose another --out`, 'out');
  }

  async stage(rows: readonly PersonalizationRow[]): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const text = ['pan,expiry,card_id', ...rows.map((r) => `${r.pan},${r.expiry ?? ''},${r.cardId}`), `TRAILER,${rows.length}`, ''].join('\n');
    const fh = await fs.open(this.tmp, 'w', 0o600);
    try {
      await fh.chmod(0o600);
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async publish(file: string): Promise<void> {
    await fs.rename(this.tmp, file);
  }

  async discard(): Promise<void> {
    await fs.rm(this.tmp, { force: true });
  }
}
