import { describe, expect, it } from 'vitest';
import { groupByShard, type ShardRange } from '../../src/daemon/shard-route.js';

const A: ShardRange = { shard: 101, min: -2147483648, max: -2013265921 };
const B: ShardRange = { shard: 102, min: -2013265920, max: -1879048193 };
const FIRST: ShardRange = { shard: 100, min: 0, max: 1 };

describe('groupByShard (Citus: one transaction per shard group of a batch)', () => {
  it('groups messages by their shard in the order each group first appears, keeping arrival order within a group', () => {
    const shard = new Map<string, ShardRange | null>([['a1', A], ['b1', B], ['a2', A], ['b2', B]]);
    const groups = groupByShard(['a1', 'b1', 'a2', 'b2'], (i) => shard.get(i)!, FIRST);
    expect(groups).toEqual([{ range: A, items: ['a1', 'a2'] }, { range: B, items: ['b1', 'b2'] }]);
  });

  it('puts messages with no shard of their own (repeats, unknown cards) into the first group, in arrival order', () => {
    const shard = new Map<string, ShardRange | null>([['x', null], ['b1', B], ['y', null], ['a1', A]]);
    const groups = groupByShard(['x', 'b1', 'y', 'a1'], (i) => shard.get(i)!, FIRST);
    expect(groups).toEqual([{ range: B, items: ['x', 'b1', 'y'] }, { range: A, items: ['a1'] }]);
  });

  it('gives a batch with no shard at all one group on the fallback shard', () => {
    expect(groupByShard(['x', 'y'], () => null, FIRST)).toEqual([{ range: FIRST, items: ['x', 'y'] }]);
  });
});
