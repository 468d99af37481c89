import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { arrayLiteral, ensurePrepared, execute, literal, runFused } from '../../src/daemon/fused.js';

// The fused batch path sends its arguments as SQL literals (daemon/fused.ts): they must reach the
// server exactly as the same values bound as parameters would, whatever characters they hold.
describe('fused statements', () => {
  const awkward = [
    `it's`, 'back\\slash', 'holds $purse$ the tag', 'ends in $', '$$', 'quote"d', 'both \\\' and "', '{braces,commas}', 'NULL', '', 'naïve ✓ 中文', 'line\nbreak', '$1; drop table cards; --',
  ];

  it('writes array literals exactly as node-pg serializes arrays', () => {
    const { prepareValue } = (pg as unknown as { utils: { prepareValue(v: unknown): string } }).utils;
    const arrays: unknown[][] = [
      awkward, [1, null, -9007199254740991, 12n], [true, false, undefined], [new Date('2026-03-10T02:00:00.123Z')],
      [Buffer.from([0, 0x27, 0x5c]), new Uint8Array([1, 2])], [['a"b', null], ['c\\d', 'e']], [JSON.stringify({ m: `it's "x" \\` })], [],
    ];
    for (const a of arrays) expect(arrayLiteral(a)).toBe(prepareValue(a));
  });

  it('literals of text, numbers, booleans, dates, bytea and json arrays read back as the bound parameters', async () => {
    const ctx = await testContext();
    const values: [unknown, string][] = [
      [awkward, 'text[]'], // holds the dollar-quote tag: quoted the other way
      [awkward.filter((t) => !t.includes('$purse$')), 'text[]'],
      ['ends in $', 'text'],
      ['holds $purse$ the tag', 'text'],
      [[1, null, -9007199254740991], 'bigint[]'],
      [[true, false, null], 'boolean[]'],
      [[new Date('2026-03-10T02:00:00.123Z'), null], 'timestamptz[]'],
      [['2026-03-10'], 'date[]'],
      [[Buffer.from([0, 1, 0xfe, 0x27, 0x5c]), null], 'bytea[]'],
      [[JSON.stringify({ message: `it's "approved" \\ ✓`, n: 1 })], 'json[]'],
      [`it's \\ "x"`, 'text'],
      [null, 'text'],
      [[], 'bigint[]'],
    ];
    const client = await ctx.db.pg.connect();
    try {
      for (const [value, type] of values) {
        const bound = await client.query(`select $1::${type}::text as v`, [value]);
        const [rows] = await runFused(client, [`select ${literal(value)}::${type}::text as v`]);
        expect((rows as { v: string | null }[])[0]!.v).toBe(bound.rows[0].v);
      }
    } finally {
      client.release();
    }
  });

  it('runs prepared statements with literal arguments, several in one message, and prepares once per connection', async () => {
    const ctx = await testContext();
    const client = await ctx.db.pg.connect();
    try {
      const statements = { purse_test_echo: 'select array_length($1::text[], 1) as n, ($1::text[])[2] as second' };
      await ensurePrepared(client, statements);
      await ensurePrepared(client, statements); // already there: no second PREPARE (it would fail)
      const res = await runFused(client, ['begin', execute('purse_test_echo', [awkward]), execute('purse_test_echo', [['a', null]]), 'commit']);
      expect(res).toHaveLength(4);
      expect(res[1]).toEqual([{ n: awkward.length, second: awkward[1] }]);
      expect(res[2]).toEqual([{ n: 2, second: null }]);
    } finally {
      client.release();
    }
  });
});
