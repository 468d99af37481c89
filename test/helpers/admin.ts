import { daemonFixture, type DaemonFixture } from './daemon.js';
import type { TestContext } from './db.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { addOperator } from '../../src/admin/operators.js';
import { cliActor } from '../../src/admin/audit.js';

export const PASSWORD = 'correct horse battery';

/** More registry set-up before the daemon starts (points mall tests: schemes, merchants, programs). */
type DaemonSetup = NonNullable<Parameters<typeof daemonFixture>[0]>['setup'];

export interface AdminFixture extends DaemonFixture {
  admin: string;
  /** Calls the management API; `token` as bearer. The body is whatever JSON came back (tests assert its shape). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, opts?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  login(username: string, password?: string): Promise<string>;
  /** Creates an operator (password PASSWORD) and returns its id. */
  operator(username: string, role: string, scope?: { merchant?: string; issuer?: string }): Promise<number>;
}

/**
 * The daemon fixture with the management API on a free port, a second merchant M2 (terminal T2,
 * not on channel CH) and operators created on demand. `ctx`: another database (test-citus).
 */
export async function adminFixture(opts: { cards?: number; setup?: DaemonSetup; channelMerchants?: string[]; ctx?: TestContext } = {}): Promise<AdminFixture> {
  const f = await daemonFixture({
    cards: opts.cards, ctx: opts.ctx,
    channelMerchants: opts.channelMerchants,
    setup: async (ctx) => {
      ctx.config.adminPort = 0;
      await addMerchant(ctx, { code: 'M2', name: 'Merchant two' });
      await addTerminal(ctx, { merchant: 'M2', code: 'T2' });
      if (opts.setup) await opts.setup(ctx);
    },
  });
  const admin = `${f.daemon.admin!.url}/admin/v1`;
  const call: AdminFixture['call'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${admin}${path}`, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };
  const login = async (username: string, password = PASSWORD) => {
    const r = await call('POST', '/sessions', { body: { username, password } });
    if (r.status !== 201) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.token as string;
  };
  const operator = async (username: string, role: string, scope: { merchant?: string; issuer?: string } = {}) =>
    (await addOperator(f.ctx, { username, role, password: PASSWORD, ...scope }, cliActor())).id;
  return { ...f, admin, call, login, operator };
}
