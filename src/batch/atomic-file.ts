import fs from 'node:fs/promises';
import path from 'node:path';

const FLUSH_BYTES = 1 << 20;

/**
 * A file written whole or not at all: text goes to `<target>.partial` in the same directory
 * (buffered, flushed in 1 MiB writes so a million rows stay cheap and memory stays bounded),
 * `commit` (= `seal` + `publish`) fsyncs and renames it over the target (atomic on one file
 * system; a caller may seal before its database commit and publish after), `abort` removes it. The partial file is created afresh with `mode`, so a stale one left by a killed run (same
 * name) is replaced, never appended to or widened.
 */
export class AtomicFile {
  private parts: string[] = [];
  private size = 0;
  private sealed = false;

  private constructor(readonly target: string, readonly partial: string, private readonly fh: fs.FileHandle) {}

  /** Opens `<target>.partial` for writing (creating the directory), mode `mode` (default 0600). */
  static async open(target: string, mode = 0o600): Promise<AtomicFile> {
    const abs = path.resolve(target);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    const partial = `${abs}.partial`;
    await fs.rm(partial, { force: true });
    const fh = await fs.open(partial, 'wx', mode);
    await fh.chmod(mode); // the umask may have narrowed it; never wider than asked
    return new AtomicFile(abs, partial, fh);
  }

  /** Appends text; resolves once any full buffer has been handed to the file system. */
  async write(text: string): Promise<void> {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await this.fh.write(text, null, 'utf8');
  }

  /** Flushes, fsyncs and closes the partial file: its content is durable but not yet in place. */
  async seal(): Promise<void> {
    await this.flush();
    await this.fh.sync();
    await this.fh.close();
    this.sealed = true;
  }

  /** Renames the sealed partial file over the target. */
  async publish(): Promise<void> {
    await fs.rename(this.partial, this.target);
  }

  /** seal, then publish. */
  async commit(): Promise<void> {
    await this.seal();
    await this.publish();
  }

  /** Closes and removes the partial file (the target is left as it was). */
  async abort(): Promise<void> {
    if (!this.sealed) await this.fh.close().catch(() => undefined);
    await fs.rm(this.partial, { force: true });
  }
}
