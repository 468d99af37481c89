/** Progress of long batch work, shown on stderr only when it is a terminal (design §6). */
export interface Progress {
  /** `done` units out of the total (or so far, when the total is unknown). */
  update(done: number): void;
  /** Prints the final figure and ends the line. */
  finish(done: number): void;
}

const EVERY_MS = 250;

/** A progress line `label: done/total` redrawn at most 4 times a second; silent unless `stream` is a TTY. */
export function progress(label: string, total: number | null, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, finish: () => undefined };
  let last = 0;
  const draw = (done: number) => {
    const pct = total ? ` (${Math.floor((done * 100) / total)}%)` : '';
    stream.write(`\r${label}: ${done}${total === null ? '' : `/${total}`}${pct}\x1b[K`);
  };
  return {
    update(done) {
      const now = performance.now();
      if (now - last < EVERY_MS) return;
      last = now;
      draw(done);
    },
    finish(done) {
      draw(done);
      stream.write('\n');
    },
  };
}
