import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { testContext } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { addIssuer } from '../../src/registry/issuers.js';
import { addProgram } from '../../src/registry/programs.js';

const ctx = await testContext();

describe('purse serve refuses what it cannot do, without hanging', () => {
  it('a port already in use: exit 1 naming the port', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['serve', '--port', String(port), '--no-scheduler'], ctx.env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port} (EADDRINUSE) (field: port)`);
    } finally {
      taken.close();
    }
  }, 120_000);

  it('a --demo set-up that fails exits instead of serving on, half set up', async () => {
    // A demo card batch recorded without its cards (say, by a broken earlier version): no card to show.
    const demoCtx = await testContext();
    await addIssuer(demoCtx, { code: 'DEMO-ISSUER' });
    const p = await addProgram(demoCtx, { code: 'DEMO-SV', issuer: 'DEMO-ISSUER', bin: '623456' });
    await demoCtx.db.pg.query(`insert into card_batches (program_id, reference, card_count) values ($1, 'DEMO', 3)`, [p.id]);
    const r = await runCli(['serve', '--demo', '--port', '0', '--no-scheduler'], demoCtx.env);
    expect(r.stderr).toContain('listening on');
    expect(r.code).not.toBe(0);
  }, 120_000);

  it('a bad --port or --shutdown-timeout: usage error (exit 2)', async () => {
    expect((await runCli(['serve', '--port', 'http'], ctx.env)).code).toBe(2);
    expect((await runCli(['serve', '--shutdown-timeout', '-1'], ctx.env)).code).toBe(2);
  }, 120_000);
});
