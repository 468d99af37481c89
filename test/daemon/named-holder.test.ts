import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { issueCards } from '../helpers/daemon-extra.js';
import { addProgram } from '../../src/registry/programs.js';
import { addHolder, linkCard } from '../../src/holders/holders.js';
import { cliActor } from '../../src/admin/audit.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const f = await daemonFixture({ setup: async (ctx) => { await addProgram(ctx, { code: 'NAMED', issuer: 'ISS', bin: '623100', named: true }); } });
const at = { merchant: 'M1', terminal: 'T1' };

describe('named programs need a linked holder (design §10)', () => {
  it('refuses activate_on_issue for a named program, naming the field', async () => {
    await expect(addProgram(f.ctx, { code: 'NAMED2', issuer: 'ISS', bin: '623101', named: true, activateOnIssue: true })).rejects.toMatchObject({ field: 'activate_on_issue' });
  });

  it('declines the first activation and a load with 57 until a holder is linked, then approves', async () => {
    const { ids: [issued], pans: [issuedPan] } = await issueCards(f.ctx, 'NAMED', 1, 'issued');
    const { ids: [active], pans: [activePan] } = await issueCards(f.ctx, 'NAMED', 1, 'active');
    expect((await f.send({ ...at, request_id: 'act-1', type: 'activate', card: issuedPan, amount: 1000 })).body.response_code).toBe('57');
    expect((await f.send({ ...at, request_id: 'load-1', type: 'load', card: activePan, amount: 1000 })).body.response_code).toBe('57');
    // The anonymous program is not affected.
    expect((await f.send({ ...at, request_id: 'load-sv', type: 'load', card: f.seed.pans[0], amount: 1000 })).body.response_code).toBe('00');
    const h = await addHolder(f.ctx, { name: 'Named Holder', id_type: 'passport', id_number: 'N1234567', mobile: '13311112222' }, 'holder password 1', cliActor());
    await linkCard(f.ctx, h.holder.id, { cardId: issued }, cliActor());
    await linkCard(f.ctx, h.holder.id, { cardId: active }, cliActor());
    expect((await f.send({ ...at, request_id: 'act-2', type: 'activate', card: issuedPan, amount: 1000 })).body.response_code).toBe('00');
    expect((await f.send({ ...at, request_id: 'load-2', type: 'load', card: activePan, amount: 1000 })).body.response_code).toBe('00');
    expect((await f.send({ ...at, request_id: 'load-3', type: 'load', card: activePan, amount: 500 })).body.response_code).toBe('00');
    expect((await f.balance(active!)).balance).toBe(1500);
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });
});
