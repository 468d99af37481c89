import { AtomicFile } from './atomic-file.js';

/**
 * The personalization file for the card bureau (design §6), streamed: header `pan,expiry,card_id`,
 * one line per card (expiry `YYYY-MM-DD`, empty for cards that never expire), then `TRAILER,<count>`.
 * Mode 0600 — it is the only place PANs exist in clear. Written to `<target>.<pid>.partial`; `seal`
 * makes it durable (before the database commit), `publish` renames it into place (after).
 */
export class PersonalizationFile {
  private count = 0;

  private constructor(private readonly file: AtomicFile) {}

  static async open(target: string): Promise<PersonalizationFile> {
    const file = await AtomicFile.open(target, 0o600);
    await file.write('pan,expiry,card_id\n');
    return new PersonalizationFile(file);
  }

  get path(): string {
    return this.file.target;
  }

  /** Appends cards `pans[i]` with id `ids[i]`, all with the same expiry. */
  async add(pans: readonly string[], ids: readonly number[], expiry: string | null): Promise<void> {
    const exp = expiry ?? '';
    // 256 lines per write: small strings, collected young (see copyChunk).
    for (let lo = 0; lo < pans.length; lo += 256) {
      let text = '';
      for (let i = lo; i < Math.min(lo + 256, pans.length); i++) text += `${pans[i]},${exp},${ids[i]}\n`;
      await this.file.write(text);
    }
    this.count += pans.length;
  }

  /** Writes the trailer, flushes and fsyncs. */
  async seal(): Promise<void> {
    await this.file.write(`TRAILER,${this.count}\n`);
    await this.file.seal();
  }

  publish(): Promise<void> {
    return this.file.publish();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}
