import { describe, expect, it } from 'vitest';
import { undoneOn } from '../../src/settlement/settle-aggregate.js';

// Which originals a date's voids and reversals undo (entry ids; 2 voided, 3 reversed).
describe('undoneOn', () => {
  it.each([
    ['nothing', [], { ids: [], states: [] }],
    ['a void', [{ id: 11, kind: 'void', undoes: 1 }], { ids: [1], states: [2] }],
    ['a reversal', [{ id: 12, kind: 'reversal', undoes: 2 }], { ids: [2], states: [3] }],
    ['a void and a reversal of one original: reversed', [{ id: 13, kind: 'void', undoes: 3 }, { id: 14, kind: 'reversal', undoes: 3 }], { ids: [3], states: [3] }],
    ['a reversed void: its original stands', [{ id: 15, kind: 'void', undoes: 4 }, { id: 16, kind: 'reversal', undoes: 15 }], { ids: [], states: [] }],
    ['a reversed void, then a new void of the same original', [
      { id: 17, kind: 'void', undoes: 5 }, { id: 18, kind: 'reversal', undoes: 17 }, { id: 19, kind: 'void', undoes: 5 }], { ids: [5], states: [2] }],
    ['sorted by id', [{ id: 20, kind: 'void', undoes: 9 }, { id: 21, kind: 'reversal', undoes: 6 }], { ids: [6, 9], states: [3, 2] }],
  ])('%s', (_name, rows, expected) => {
    expect(undoneOn(rows)).toEqual(expected);
  });
});
