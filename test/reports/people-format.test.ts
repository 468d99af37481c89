import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { encodeText, peopleFormat, yuan } from '../../src/reports/people/format.js';
import { isoLocal, localTime } from '../../src/reports/people/time.js';
import { displayWidth, padDisplay } from '../../src/reports/people/width.js';
import { sheetCsv } from '../../src/reports/people/sheet.js';

describe('yuan amounts are exact strings made from integers', () => {
  it.each([
    [0, '0.00'], [1, '0.01'], [-1, '-0.01'], [99, '0.99'], [100, '1.00'], [-12_345, '-123.45'], [10, '0.10'],
    [Number.MAX_SAFE_INTEGER, '90071992547409.91'], [-Number.MAX_SAFE_INTEGER, '-90071992547409.91'],
  ])('%d fen → %s', (fen, text) => {
    expect(yuan(fen)).toBe(text);
  });

  it('keeps a bigint beyond the safe range exact, and refuses a non-integer', () => {
    expect(yuan(123_456_789_012_345_678_901n)).toBe('1234567890123456789.01');
    expect(() => yuan(1.5)).toThrow(RangeError);
  });
});

describe('encodings', () => {
  it('prefixes a BOM for utf8-bom, none for utf8, and writes GBK that decodes back', () => {
    expect([...encodeText('食堂', 'utf8-bom').subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(encodeText('食堂', 'utf8').toString('utf8')).toBe('食堂');
    const gbk = encodeText('职工食堂,12.34', 'gbk');
    expect(gbk.length).toBe(4 * 2 + 6);
    expect(iconv.decode(gbk, 'gbk')).toBe('职工食堂,12.34');
  });

  it('refuses text GBK cannot hold, naming the character and the option', () => {
    expect(() => encodeText('café ☕', 'gbk')).toThrow(expect.objectContaining({ field: '--encoding', message: expect.stringContaining('U+2615') }));
  });

  it('validates the options, naming the one that is wrong', () => {
    expect(peopleFormat({}, { encoding: 'utf8-bom', lang: 'zh', amounts: 'yuan' })).toEqual({ encoding: 'utf8-bom', lang: 'zh', amounts: 'yuan', xlsx: false });
    expect(() => peopleFormat({ amounts: 'jiao' }, { encoding: 'utf8-bom', lang: 'zh', amounts: 'yuan' })).toThrow(expect.objectContaining({ field: '--amounts' }));
    expect(() => peopleFormat({ encoding: 'UTF8' }, { encoding: 'utf8-bom', lang: 'zh', amounts: 'yuan' })).toThrow(expect.objectContaining({ field: '--encoding' }));
  });
});

describe('times for people', () => {
  it('shows an instant in the business timezone with its offset', () => {
    const at = new Date('2026-03-10T16:05:00Z');
    expect(localTime(at, 'Asia/Shanghai')).toBe('2026-03-11 00:05:00+08:00');
    expect(localTime(at, 'UTC')).toBe('2026-03-10 16:05:00+00:00');
    expect(localTime(at, 'America/New_York')).toBe('2026-03-10 12:05:00-04:00');
    const iso = isoLocal(new Date('2026-03-10T16:05:00.042Z'), 'Asia/Shanghai');
    expect(iso).toBe('2026-03-11T00:05:00.042+08:00');
    expect(new Date(iso).toISOString()).toBe('2026-03-10T16:05:00.042Z');
  });
});

describe('display width', () => {
  it('counts CJK and full-width characters as two columns, combining marks as none', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('职工食堂')).toBe(8);
    expect(displayWidth('ＡＢ')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(padDisplay('食堂', 6)).toBe('食堂  ');
  });
});

describe('CSV for people', () => {
  it('keeps numbers plain and neutralises formula-like text', () => {
    const text = sheetCsv({
      name: 's', columns: [{ key: 'n', en: 'name', zh: '名称', kind: 'text' }, { key: 'a', en: 'amount', zh: '金额', kind: 'amount' }],
      rows: [{ n: '=cmd', a: -1234 }, { n: '-x', a: 5 }],
    }, { encoding: 'utf8', lang: 'zh', amounts: 'yuan', xlsx: false });
    expect(text).toBe("名称,金额\n'=cmd,-12.34\n'-x,0.05\n");
  });
});
