import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { expectRefused } from '../helpers/registry.js';
import { addIssuer, listIssuers, showIssuer } from '../../src/registry/issuers.js';

const ctx = await testContext();

describe('issuers', () => {
  it('adds, lists in code order and shows issuers', async () => {
    const b = await addIssuer(ctx, { code: 'BANK-B', name: 'Bank B' });
    await addIssuer(ctx, { code: 'BANK-A' });
    expect(b).toMatchObject({ code: 'BANK-B', name: 'Bank B', is_operator: false });
    expect((await listIssuers(ctx)).map((i) => i.code)).toEqual(['BANK-A', 'BANK-B']);
    expect(await showIssuer(ctx, 'BANK-B')).toEqual(b);
    expect((await showIssuer(ctx, 'BANK-A')).name).toBe('BANK-A'); // the name defaults to the code
  });

  it('marks the operator issuer and refuses a second one on the operator field', async () => {
    expect((await addIssuer(ctx, { code: 'OPERATOR', operator: true })).is_operator).toBe(true);
    await expectRefused(ctx.db.pg, () => addIssuer(ctx, { code: 'OPERATOR-2', operator: true }), 'operator');
  });

  it('refuses a duplicate code, a bad code and a bad name, changing nothing', async () => {
    await expectRefused(ctx.db.pg, () => addIssuer(ctx, { code: 'BANK-A', name: 'again' }), 'code');
    await expectRefused(ctx.db.pg, () => addIssuer(ctx, { code: 'has space' }), 'code');
    await expectRefused(ctx.db.pg, () => addIssuer(ctx, { code: '' }), 'code');
    await expectRefused(ctx.db.pg, () => addIssuer(ctx, { code: 'X'.repeat(33) }), 'code');
    await expectRefused(ctx.db.pg, () => addIssuer(ctx, { code: 'LONG', name: 'n'.repeat(201) }), 'name');
    await expectRefused(ctx.db.pg, () => addIssuer(ctx, { code: 'OP', operator: 'maybe' }), 'operator');
  });

  it('reports an unknown issuer on show', async () => {
    await expectRefused(ctx.db.pg, () => showIssuer(ctx, 'NOPE'), 'code');
  });
});
