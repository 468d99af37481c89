import { describe, expect, it } from 'vitest';
import { takeBatch } from '../../src/daemon/batcher.js';

const item = (id: string, card: string | null) => ({ id, msg: { card } });
const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

describe('takeBatch: the next batch leaves messages for cards of running batches waiting', () => {
  it('passes over messages for busy cards, keeping them at the head of the queue in arrival order', () => {
    const queue = [item('a1', 'A'), item('b1', 'B'), item('a2', 'A'), item('c1', 'C'), item('v', null)];
    expect(ids(takeBatch(queue, new Set(['A']), 10))).toEqual(['b1', 'c1', 'v']);
    expect(ids(queue)).toEqual(['a1', 'a2']);
    // Once A's batch has ended, its messages go together, in order.
    expect(ids(takeBatch(queue, new Set(), 10))).toEqual(['a1', 'a2']);
    expect(queue).toEqual([]);
  });

  it('takes at most max messages and leaves the rest queued behind the passed-over ones', () => {
    const queue = [item('a1', 'A'), item('b1', 'B'), item('c1', 'C'), item('d1', 'D')];
    expect(ids(takeBatch(queue, new Set(['A']), 2))).toEqual(['b1', 'c1']);
    expect(ids(queue)).toEqual(['a1', 'd1']);
  });

  it('passes over at most max messages, so a flood for one busy card is not scanned whole', () => {
    const queue = [item('a1', 'A'), item('a2', 'A'), item('a3', 'A'), item('b1', 'B')];
    expect(takeBatch(queue, new Set(['A']), 2)).toEqual([]);
    expect(ids(queue)).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(ids(takeBatch(queue, new Set(['A']), 4))).toEqual(['b1']);
  });

  it('puts several messages for one idle card in the same batch, and takes nothing when every card is busy', () => {
    const queue = [item('a1', 'A'), item('a2', 'A'), item('b1', 'B')];
    expect(ids(takeBatch(queue, new Set(['B']), 10))).toEqual(['a1', 'a2']);
    expect(takeBatch(queue, new Set(['B']), 10)).toEqual([]);
    expect(ids(queue)).toEqual(['b1']);
  });
});
