import { describe, expect, it } from 'vitest';
import { progress } from '../../src/batch/progress.js';

function stream(isTTY: boolean) {
  const out: string[] = [];
  return { out, s: { isTTY, write: (t: string) => out.push(t) } as unknown as NodeJS.WriteStream };
}

describe('progress', () => {
  it('draws label, done/total and percentage on a terminal, ending the line on finish', () => {
    const { out, s } = stream(true);
    const bar = progress('loading', 200, s);
    bar.finish(200);
    expect(out.join('')).toBe('\rloading: 200/200 (100%)\x1b[K\n');
  });

  it('shows a running count when the total is unknown', () => {
    const { out, s } = stream(true);
    progress('reading', null, s).finish(42);
    expect(out.join('')).toBe('\rreading: 42\x1b[K\n');
  });

  it('writes nothing when stderr is not a terminal (pipes and logs stay clean)', () => {
    const { out, s } = stream(false);
    const bar = progress('loading', 10, s);
    bar.update(5);
    bar.finish(10);
    expect(out).toEqual([]);
  });
});
