import pg from 'pg';
import { expect, it } from 'vitest';
import { ownServer } from '../helpers/own-server.js';

// The embedded server's settings for commit latency under load (README "Server settings"): each
// was measured against the default in the authorization bench, and a default coming back would
// show only there. A server of this file's own: the shared test server may come from DATABASE_URL.
const { server } = await ownServer();

it('runs with the commit-latency settings of the README', async () => {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    const { rows } = await c.query<{ name: string; setting: string; unit: string | null }>(
      `select name, setting, unit from pg_settings where name in ('max_wal_size', 'wal_init_zero', 'backend_flush_after', 'shared_buffers') order by name`);
    expect(Object.fromEntries(rows.map((r) => [r.name, `${r.setting}${r.unit ? ` ${r.unit}` : ''}`]))).toEqual({
      backend_flush_after: '256 8kB', // 2 MB in 8 kB pages
      max_wal_size: '4096 MB',
      shared_buffers: '65536 8kB', // 512 MB
      wal_init_zero: 'off',
    });
  } finally {
    await c.end();
  }
});
