import { sql, type DatabaseTransactionConnection } from 'slonik';

/** The LISTEN/NOTIFY channel on which registry changes reach running daemons (RegistryListener). */
export const REGISTRY_NOTIFY_CHANNEL = 'purse_registry';

/**
 * Tells every daemon that channel `code` changed (secret, merchants). Sent inside the change's
 * transaction: PostgreSQL delivers it on commit, and not at all on rollback.
 */
export async function notifyChannelChanged(tx: DatabaseTransactionConnection, code: string): Promise<void> {
  await tx.query(sql.unsafe`select pg_notify(${REGISTRY_NOTIFY_CHANNEL}, ${`channel:${code}`})`);
}
