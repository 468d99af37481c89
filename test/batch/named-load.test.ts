import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { issuePans, loadCli, readRejects, tempDir, writeLoadFile } from '../helpers/batch.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';
import { addHolder, linkCard } from '../../src/holders/holders.js';
import { cliActor } from '../../src/admin/audit.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const ctx = await testContext();
const dir = tempDir();
await addIssuer(ctx, { code: 'ISS', name: 'Issuer' });
await addProgram(ctx, { code: 'NAMED', issuer: 'ISS', bin: '623200', named: true });
const [linked, unlinked] = await issuePans(ctx, dir, 'NAMED', 2, 'B1') as [string, string];
await ctx.db.pg.query(`update cards set status = 'active'`);

describe('purse cards load: named programs', () => {
  it('rejects a row for a named card without a linked holder (no_holder) and applies the linked one', async () => {
    const h = await addHolder(ctx, { name: 'Load Holder', id_type: 'other', id_number: 'LH-0001', mobile: '13422223333' }, 'holder password 1', cliActor());
    await linkCard(ctx, h.holder.id, { pan: linked }, cliActor());
    const file = writeLoadFile(dir, 'named.csv', [[linked, 1000, 'N-1'], [unlinked, 1000, 'N-2']]);
    const r = await loadCli(ctx, file, ['--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ applied: { count: 1, amount: 1000 }, rejected: { count: 1 } });
    expect(readRejects(file).map((x) => [x.line, x.reason])).toEqual([[3, 'no_holder']]);
    expect((await verifyLedger(ctx.db.pg)).ok).toBe(true);
  });
});
