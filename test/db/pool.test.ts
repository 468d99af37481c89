import { describe, expect, inject, it } from 'vitest';
import { openContext } from '../../src/context.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase } from '../helpers/db.js';

const url = await createTestDatabase();
const env = { ...process.env, DATABASE_URL: url, PURSE_KEYS: inject('keysJson') };

describe('hot-path pool', () => {
  it('keeps idle connections open in a long-running process (the daemon), and closes them after 10 s in a command', async () => {
    const daemon = await openContext({ env, logger: createLogger('silent'), migrate: false, longRunning: true });
    const command = await openContext({ env, logger: createLogger('silent'), migrate: false });
    try {
      expect(daemon.db.pg.options.idleTimeoutMillis).toBe(0); // pg-pool: 0 never closes an idle client
      expect(command.db.pg.options.idleTimeoutMillis).toBe(10_000);
      // Both still bounded by PURSE_POOL_SIZE.
      expect(daemon.db.pg.options.max).toBe(command.db.pg.options.max);
    } finally {
      await Promise.all([daemon.close(), command.close()]);
    }
  });
});
