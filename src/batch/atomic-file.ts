import fs from 'node:fs/promises';
import path from 'node:path';

// 64 KiB per write: few enough system calls, and the joined string stays out of V8's large-object space.
const FLUSH_BYTES = 1 << 16;

/**
 * A file written whole or not at all: text goes to `<target>.<pid>.partial` in the same directory
 * (buffered, flushed in 64 KiB writes so a million rows stay cheap and memory stays bounded),
 * `commit` (= `seal` + `publish`) fsyncs and renames it over the target (atomic on one file
 * system; a caller may seal before its database commit and publish after), `abort` removes it.
 * The partial name carries the writer's process id, so two runs writing the same target at once
 * never remove or overwrite each other's partial file (the last rename wins, whole); partial files
 * of that target left by a killed run (their process is gone) are removed on open, since a
 * personalization file holds PANs. Each is created afresh with `mode`, never appended to or widened.
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
    const partial = `${abs}.${process.pid}.partial`;
    await removeStalePartials(abs);
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

  /** Appends bytes (text already encoded, e.g. GBK), after any buffered text. */
  async writeBytes(bytes: Uint8Array): Promise<void> {
    await this.flush();
    if (bytes.length > 0) await this.fh.write(bytes);
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

/** Removes `<target>.<pid>.partial` files whose process no longer runs (or is this one: a leftover). */
async function removeStalePartials(target: string): Promise<void> {
  const base = path.basename(target);
  const names = await fs.readdir(path.dirname(target));
  for (const name of names) {
    if (!name.startsWith(`${base}.`) || !name.endsWith('.partial')) continue;
    const pid = name.slice(base.length + 1, -'.partial'.length);
    if (!/^[0-9]{1,10}$/.test(pid)) continue;
    if (Number(pid) !== process.pid && processAlive(Number(pid))) continue;
    await fs.rm(path.join(path.dirname(target), name), { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}
