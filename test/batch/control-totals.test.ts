import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { issuePans, loadCli, loadState, tempDir, writeLoadFile } from '../helpers/batch.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';

const ctx = await testContext();
const dir = tempDir();
await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622000', activateOnIssue: true });
const pans = await issuePans(ctx, dir, 'SV', 3, 'B1');
const rows = pans.map((pan, i) => [pan, 100 * (i + 1), `CT-${i}`] as [string, number, string]); // 3 rows, total 600

/** Runs the load and asserts the whole file was refused: exit 1, no rejects file, nothing posted. */
async function expectRefused(file: string, args: string[] = []) {
  const before = await loadState(ctx);
  const r = await loadCli(ctx, file, args);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(fs.existsSync(`${file}.rejects.csv`)).toBe(false);
  expect(await loadState(ctx)).toEqual(before);
  for (const pan of pans) expect(r.stderr).not.toContain(pan);
  return r.stderr;
}

describe('purse cards load: control totals are checked before anything is posted', () => {
  it('refuses a file whose trailer count does not match, saying expected and found count and total', async () => {
    const stderr = await expectRefused(writeLoadFile(dir, 'count.csv', rows, [4, 600]));
    expect(stderr).toContain('expected 4 rows totalling 600, found 3 rows totalling 600');
    expect(stderr).toContain('trailer (line 5)');
  });

  it('refuses a file whose trailer total does not match', async () => {
    const stderr = await expectRefused(writeLoadFile(dir, 'total.csv', rows, [3, 601]));
    expect(stderr).toContain('expected 3 rows totalling 601, found 3 rows totalling 600');
  });

  it('counts invalid rows as written: a negative amount is in the total, and a mismatch still refuses the file', async () => {
    const withBad = [...rows, [pans[0]!, -50, 'CT-9'] as [string, number, string]];
    const stderr = await expectRefused(writeLoadFile(dir, 'signed.csv', withBad, [4, 600]));
    expect(stderr).toContain('expected 4 rows totalling 600, found 4 rows totalling 550');
  });

  it('refuses a file with control totals when an amount cannot be read', async () => {
    const stderr = await expectRefused(writeLoadFile(dir, 'unreadable.csv', [...rows, `${pans[0]},1e3,CT-9`], [4, 1600]));
    expect(stderr).toMatch(/line 5: amount cannot be read, so the control totals cannot be checked/);
  });

  it('refuses a mismatch of --expect-count/--expect-total, also with --dry-run', async () => {
    const file = writeLoadFile(dir, 'expect.csv', rows);
    expect(await expectRefused(file, ['--expect-count', '3', '--expect-total', '599'])).toContain('expected 3 rows totalling 599, found 3 rows totalling 600');
    expect(await expectRefused(file, ['--expect-count', '2', '--expect-total', '600', '--dry-run'])).toContain('expected 2 rows totalling 600, found 3 rows totalling 600');
  });

  it('checks --expect-count or --expect-total given alone, each against what it states', async () => {
    const file = writeLoadFile(dir, 'alone.csv', rows);
    const count = await expectRefused(file, ['--expect-count', '2']);
    expect(count).toContain('control totals do not match (--expect-count): expected 2 rows, found 3 rows totalling 600');
    const total = await expectRefused(file, ['--expect-total', '599', '--dry-run']);
    expect(total).toContain('control totals do not match (--expect-total): expected a total of 599, found 3 rows totalling 600');
    expect(total).toContain('(field: expect-total)');
    expect(await expectRefused(file, ['--expect-count', '3', '--expect-total', '599'])).toContain('(field: expect-total)');
    expect(count).toContain('(field: expect-count)');
    const r = await loadCli(ctx, file, ['--expect-total', '600', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dry_run: true, control: [{ source: '--expect-total', count: null, total: 600 }] });
  });

  it('refuses when the trailer matches but --expect-* does not (every control total must hold)', async () => {
    const file = writeLoadFile(dir, 'both.csv', rows, [3, 600]);
    expect(await expectRefused(file, ['--expect-count', '3', '--expect-total', '700'])).toContain('expected 3 rows totalling 700, found 3 rows totalling 600');
  });

  it('refuses a malformed trailer or a line after the trailer', async () => {
    expect(await expectRefused(writeLoadFile(dir, 'badtrailer.csv', [...rows, 'TRAILER,3'])))
      .toContain('the trailer must be TRAILER,<count>,<total>');
    const file = path.join(dir, 'after.csv');
    fs.writeFileSync(file, `card,amount,reference\n${rows.map((r) => r.join(',')).join('\n')}\nTRAILER,3,600\n${pans[0]},5,CT-8\n`);
    expect(await expectRefused(file)).toContain('a line follows the trailer');
  });

  it('applies the file when every control total matches', async () => {
    const file = writeLoadFile(dir, 'match.csv', rows, [3, 600]);
    const r = await loadCli(ctx, file, ['--expect-count', '3', '--expect-total', '600', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      lines: 3, total: 600, applied: { count: 3, amount: 600 },
      control: [{ source: 'trailer (line 5)', count: 3, total: 600 }, { source: '--expect-count/--expect-total', count: 3, total: 600 }],
    });
  });
});
