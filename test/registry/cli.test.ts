import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { registryDump } from '../helpers/registry.js';

const ctx = await testContext();
const purse = (...args: string[]) => runCli(args, ctx.env);

/** Runs a command that must fail with `code`, printing `pattern` on stderr, and change no registry row. */
async function refused(code: number, pattern: RegExp, ...args: string[]): Promise<void> {
  const before = await registryDump(ctx.db.pg);
  const r = await purse(...args);
  expect(r.stderr).toMatch(pattern);
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  expect(await registryDump(ctx.db.pg)).toEqual(before);
}

describe('registry through the CLI', () => {
  it('adds, lists and shows with --json', async () => {
    const add = await purse('issuer', 'add', '--code', 'ISS', '--name', 'Test Issuer', '--json');
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ code: 'ISS', name: 'Test Issuer', is_operator: false });
    const program = await purse('program', 'add', '--code', 'SV', '--issuer', 'ISS', '--bin', '622000', '--json');
    expect(program.code).toBe(0);
    expect(JSON.parse(program.stdout)).toMatchObject({ code: 'SV', issuer: 'ISS', max_balance: 100_000, validity_months: 36, named: false });
    const list = await purse('program', 'list', '--json');
    expect(JSON.parse(list.stdout).map((p: { code: string }) => p.code)).toEqual(['SV']);
    const show = await purse('issuer', 'show', 'ISS', '--json');
    expect(JSON.parse(show.stdout)).toEqual(JSON.parse(add.stdout));
  });

  it('prints a table for people without --json', async () => {
    const r = await purse('issuer', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^code\s+name\s+is_operator$/);
    expect(r.stdout).toMatch(/^ISS\s+Test Issuer\s+false$/m);
  });

  it('shows a channel secret on creation and rotation only', async () => {
    const add = await purse('channel', 'add', '--code', 'POS', '--fee-fixed', '1', '--fee-bps', '10', '--json');
    expect(add.code).toBe(0);
    const created = JSON.parse(add.stdout);
    expect(created.secret).toMatch(/^[0-9a-f]{64}$/);
    const show = await purse('channel', 'show', 'POS', '--json');
    expect(JSON.parse(show.stdout)).not.toHaveProperty('secret');
    expect(show.stdout).not.toContain(created.secret);
    const rotated = JSON.parse((await purse('channel', 'rotate-secret', 'POS', '--overlap-hours', '1', '--json')).stdout);
    expect(rotated.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.secret).not.toBe(created.secret);
  });

  it('refuses bad input with exit 1, naming the field, changing nothing', async () => {
    await refused(1, /issuer "NOPE" not found \(field: issuer\)/, 'program', 'add', '--code', 'P2', '--issuer', 'NOPE', '--bin', '622001');
    await refused(1, /bin must be 6 to 8 digits \(field: bin\)/, 'program', 'add', '--code', 'P2', '--issuer', 'ISS', '--bin', '62200A');
    await refused(1, /already exists \(field: code\)/, 'issuer', 'add', '--code', 'ISS');
    await refused(1, /\(field: validity_months\)/, 'program', 'add', '--code', 'P3', '--issuer', 'ISS', '--bin', '622002', '--named', '--validity-months', '36');
    await refused(1, /\(field: commission_bps\)/, 'merchant', 'add', '--code', 'M1', '--commission-bps', '-5');
    await refused(1, /\(field: rate\)/, 'rate', 'set', '--from', 'A', '--to', 'B', '--rate', '-0.5');
    await refused(1, /not found \(field: code\)/, 'merchant', 'show', 'NOPE');
  });

  it('answers a command line it cannot understand with exit 2', async () => {
    await refused(2, /required option '--issuer <code>' not specified/, 'program', 'add', '--code', 'P4', '--bin', '622003');
    await refused(2, /unknown option '--bogus'/, 'issuer', 'add', '--code', 'I2', '--bogus');
    await refused(2, /missing required argument 'code'/, 'issuer', 'show');
    await refused(2, /unknown command 'frob'/, 'issuer', 'frob');
  });
});
