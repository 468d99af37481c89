import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dropClusterDatabase, onNode, withDb } from './helpers/cluster-db.js';
import { migrate } from '../src/db/migrate.js';

/**
 * A cluster database placed before migration 000300 (transactions distributed by request_id): Citus
 * cannot redistribute a table with an identity column, so the next `purse db migrate` fails its
 * Citus step with a message saying so, and leaves the placement as it was.
 */
describe('purse db migrate on a cluster placed before the shard groups', () => {
  const base = inject('citusUrl');
  const workers = inject('citusWorkerPorts');
  const name = `purse_u_${crypto.randomBytes(5).toString('hex')}`;
  const ports = [Number(new URL(base).port), ...workers];
  const url = withDb(base, name);
  afterAll(() => dropClusterDatabase(base, ports, name));

  it('refuses to go on, naming the table and what to do, and changes no placement', async () => {
    for (const port of ports) await onNode(withDb(base, 'postgres', port), [`create database ${name}`]);
    for (const port of workers) await onNode(withDb(base, name, port), ['create extension citus']);
    await onNode(url, ['create extension citus', `select citus_set_coordinator_host('127.0.0.1', ${new URL(base).port})`,
      ...workers.map((p) => `select citus_add_node('127.0.0.1', ${p})`)]);
    await migrate(url, undefined, undefined, { upTo: 272 });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const placement = async () => (await c.query<{ col: string }>(
        `select column_to_column_name(logicalrelid, partkey) as col from pg_dist_partition where logicalrelid = 'transactions'::regclass`)).rows[0];
      expect(await placement()).toEqual({ col: 'request_id' });
      await expect(migrate(url)).rejects.toMatchObject({
        code: 'citus_distribution_failed', message: expect.stringMatching(/transactions is distributed by request_id \(placed before migration 000300\).*migrate a new database/),
      });
      expect(await placement()).toEqual({ col: 'request_id' });
      expect((await c.query(`select to_regclass('request_claims') as t`)).rows[0]).toEqual({ t: null });
    } finally {
      await c.end();
    }
  });
});
