import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/cli/output.js';
import { displayWidth } from '../../src/reports/people/width.js';

describe('text tables for people', () => {
  it('aligns columns by display width, so Chinese names line up with ASCII ones', () => {
    const lines = formatTable([
      { code: 'M1', name: '职工食堂', net: '91.93' },
      { code: 'M22', name: 'Shop', net: '-1.00' },
      { code: 'M3', name: '全角ＡＢ', net: '0.00' },
    ], ['code', 'name', 'net']);
    expect(lines).toEqual([
      'code  name      net',
      'M1    职工食堂  91.93',
      'M22   Shop      -1.00',
      'M3    全角ＡＢ  0.00',
    ]);
    // Every value of the last column starts at the same display column.
    const starts = lines.map((l) => displayWidth(l.slice(0, l.lastIndexOf('  ') + 2)));
    expect(new Set(starts).size).toBe(1);
  });

  it('prints (none) for no rows', () => {
    expect(formatTable([], ['a'])).toEqual(['(none)']);
  });
});
