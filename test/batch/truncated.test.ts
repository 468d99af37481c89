import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { issuePans, loadCli, loadState, tempDir } from '../helpers/batch.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const dir = tempDir();
await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addProgram(ctx, { code: 'SV', issuer: 'ISS', bin: '622000', activateOnIssue: true });
const [a, b] = (await issuePans(ctx, dir, 'SV', 2, 'B1')) as [string, string];

describe('purse cards load: a truncated file is refused whole (design §6b)', () => {
  it('refuses a file whose last detail line has no newline, posting nothing; the completed file then applies each row once', async () => {
    const file = path.join(dir, 'partial.csv');
    // Read while being written: the last row is cut inside its reference (T-10 → T-1).
    fs.writeFileSync(file, `card,amount,reference\n${a},1000,T-0\n${b},1,T-1`);
    const before = await loadState(ctx);
    for (const args of [[], ['--dry-run']]) {
      const r = await loadCli(ctx, file, args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/line 3: the last line has no line ending.*truncated.*nothing posted/);
      expect(r.stderr).not.toContain(b);
    }
    expect(await loadState(ctx)).toEqual(before);
    expect(fs.existsSync(`${file}.rejects.csv`)).toBe(false);

    fs.appendFileSync(file, '0\n'); // the writer finishes: the row is T-10
    const done = await loadCli(ctx, file, ['--json']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ lines: 2, applied: { count: 2, amount: 1001 }, rejected: { count: 0 } });
    expect((await loadState(ctx)).credited - before.credited).toBe(1001);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });

  it('refuses a file whose trailer has no newline, and one ending in a lone CR', async () => {
    const before = await loadState(ctx);
    for (const [name, text] of [
      ['trailer.csv', `card,amount,reference\n${a},5,U-1\nTRAILER,1,5`],
      ['cr.csv', `card,amount,reference\r\n${a},5,U-2\r`],
    ] as const) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      const r = await loadCli(ctx, file);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(/truncated/);
    }
    expect(await loadState(ctx)).toEqual(before);
  });
});
