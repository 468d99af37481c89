import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { registryDump } from '../helpers/registry.js';

const ctx = await testContext();
const purse = (...args: string[]) => runCli(args, ctx.env);

/** The registry plus the lottery tables, rows sorted, as JSON text per table. */
async function dump(): Promise<Record<string, string>> {
  const out = await registryDump(ctx.db.pg);
  for (const t of ['lottery_games', 'lottery_prizes']) {
    const { rows } = await ctx.db.pg.query<{ rows: string }>(`select coalesce(json_agg(to_jsonb(x) order by to_jsonb(x)::text), '[]')::text as rows from ${t} x`);
    out[t] = rows[0]!.rows;
  }
  return out;
}

/**
 * Commands that must each exit 1 naming their field on stderr and print nothing on stdout; run
 * side by side (each CLI start costs seconds), and together they must change nothing.
 */
async function refused(cases: [field: string, ...args: string[]][]): Promise<void> {
  const before = await dump();
  const results = await Promise.all(cases.map(([, ...args]) => purse(...args)));
  results.forEach((r, i) => {
    const [field, ...args] = cases[i]!;
    expect({ args, stderr: r.stderr.includes(`(field: ${field})`), code: r.code, stdout: r.stdout }, r.stderr).toEqual({ args, stderr: true, code: 1, stdout: '' });
  });
  expect(await dump()).toEqual(before);
}

async function json(...args: string[]): Promise<unknown> {
  const r = await purse(...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

const GAME = [
  'game', 'add', '--code', 'WHEEL', '--name', 'Lucky wheel', '--scheme', 'AIR', '--cost', '50',
  '--prize', 'code=BIG,name=Big points,points=5000,probability=0.01,stock=3,fallback=SMALL',
  '--prize', 'code=CUP,goods=1200,merchant=CAFE,probability=0.05,stock=10',
  '--prize', 'code=SMALL,points=20,probability=0.3',
];

// Each CLI run starts Node and connects (seconds on the shared 2-core machine): room beyond the default 60 s.
describe('points registry through the CLI', { timeout: 180_000 }, () => {
  it('adds, lists and shows schemes with --json', async () => {
    expect(await json('scheme', 'add', '--code', 'AIR', '--issue-price', '1.2345', '--redemption-value', '0.9876', '--sale-price', '1.1111', '--validity-months', '12'))
      .toMatchObject({ code: 'AIR', currency: 'CNY', validity_months: 12 });
    expect(await json('scheme', 'add', '--code', 'MALL', '--issue-price', '0.75', '--redemption-value', '0.5')).toMatchObject({ code: 'MALL', validity_months: null });
    const [list, show] = await Promise.all([json('scheme', 'list'), json('scheme', 'show', 'AIR')]);
    expect((list as { code: string }[]).map((x) => x.code)).toEqual(['AIR', 'MALL']);
    expect(show).toMatchObject({ code: 'AIR' });
  });

  it('sets, lists and shows exchange rates; show gives the version in force at a time', async () => {
    expect(await json('rate', 'set', '--from', 'AIR', '--to', 'MALL', '--rate', '0.333333', '--effective-at', '2026-03-01T00:00:00+08:00'))
      .toEqual({ from: 'AIR', to: 'MALL', rate: '0.333333', rate_micro: 333_333, effective_at: '2026-02-28T16:00:00.000Z' });
    await json('rate', 'set', '--from', 'AIR', '--to', 'MALL', '--rate', '0.5', '--effective-at', '2026-04-01');
    const [list, march, april] = await Promise.all([
      json('rate', 'list'),
      json('rate', 'show', '--from', 'AIR', '--to', 'MALL', '--at', '2026-03-31T23:59:59+08:00'),
      // A date alone is midnight business time (Asia/Shanghai): the 0.5 version is in force from then.
      json('rate', 'show', '--from', 'AIR', '--to', 'MALL', '--at', '2026-04-01'),
    ]);
    expect((list as { rate: string }[]).map((r) => r.rate)).toEqual(['0.5', '0.333333']); // newest first
    expect(march).toMatchObject({ from: 'AIR', to: 'MALL', in_force: { rate: '0.333333', rate_micro: 333_333, effective_at: '2026-02-28T16:00:00.000Z' } });
    expect((march as { versions: unknown[] }).versions).toHaveLength(2);
    expect(april).toMatchObject({ in_force: { rate: '0.5', effective_at: '2026-03-31T16:00:00.000Z' } });
  });

  it('refuses bad rates naming the field, changing nothing', async () => {
    await refused([
      ['rate', 'rate', 'set', '--from', 'AIR', '--to', 'MALL', '--rate', '0'],
      ['from', 'rate', 'set', '--from', 'NOPE', '--to', 'MALL', '--rate', '1'],
      ['effective_at', 'rate', 'set', '--from', 'AIR', '--to', 'MALL', '--rate', '1', '--effective-at', '2026-05-01T00:00:00'], // no offset
      ['effective_at', 'rate', 'set', '--from', 'AIR', '--to', 'MALL', '--rate', '1', '--effective-at', '2026-03-01T00:00:00+08:00'], // same instant twice
      ['at', 'rate', 'show', '--from', 'AIR', '--to', 'MALL', '--at', 'tomorrow'],
    ]);
  });

  it('adds, lists and shows lottery games with --json', async () => {
    expect((await purse('merchant', 'add', '--code', 'CAFE')).code).toBe(0);
    const added = await json(...GAME);
    expect(added).toMatchObject({
      code: 'WHEEL', name: 'Lucky wheel', scheme: 'AIR', cost_points: 50, active: true, draws: 0, no_prize_probability: '0.64',
      prizes: [
        { code: 'BIG', name: 'Big points', kind: 'points', points: 5000, probability: '0.01', weight_ppm: 10_000, stock: 3, initial_stock: 3, fallback: 'SMALL' },
        { code: 'CUP', kind: 'goods', goods_value: 1200, merchant: 'CAFE', probability: '0.05', stock: 10, fallback: null },
        { code: 'SMALL', kind: 'points', points: 20, probability: '0.3', stock: null, fallback: null },
      ],
    });
    const [show, list] = await Promise.all([json('game', 'show', 'WHEEL'), json('game', 'list')]);
    expect(show).toEqual(added);
    expect(list).toEqual([added]);
  });

  it('refuses bad games naming the field, creating nothing', async () => {
    const game = (...prizes: string[]) => ['game', 'add', '--code', 'G2', '--scheme', 'AIR', '--cost', '10', ...prizes.flatMap((p) => ['--prize', p])];
    await refused([
      ['code', ...GAME], // WHEEL exists
      ['scheme', 'game', 'add', '--code', 'G2', '--scheme', 'NOPE', '--cost', '10', '--prize', 'code=A,points=1,probability=0.5'],
      ['prizes[0].probability', ...game('code=A,points=1,probability=1.5')],
      ['prizes[1].merchant', ...game('code=A,points=1,probability=0.1', 'code=B,goods=5,merchant=NOPE,probability=0.1')],
      ['prizes[0]', ...game('code=A,points=1,odds=0.1')],
      ['code', 'game', 'show', 'NOPE'],
    ]);
  });
});
