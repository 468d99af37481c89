import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { testContext } from '../helpers/db.js';
import { addIssuer } from '../../src/registry/issuers.js';

const ctx = await testContext();
await addIssuer(ctx, { code: 'PIPE', name: 'Read by head' });

describe('a reader that closes the output early (`purse … | head`)', () => {
  // Seen with `purse pos … | head`: a write after the reader left raised an unhandled 'error' event (a stack).
  it('ends the command quietly, with the status a shell gives SIGPIPE (141) and nothing on stderr', async () => {
    const child = spawn(process.execPath, [BIN, 'issuer', 'list'], { env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the first write
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });
});
