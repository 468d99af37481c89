import { sql, type CommonQueryMethods } from 'slonik';
import { NotFoundError, InputError } from '../errors.js';
import { UniqueIntegrityConstraintViolationError } from 'slonik';

export type RegistryTable = 'issuers' | 'programs' | 'merchants' | 'channels' | 'alliances' | 'schemes';

const NOUN: Record<RegistryTable, string> = {
  issuers: 'issuer', programs: 'program', merchants: 'merchant', channels: 'channel', alliances: 'alliance', schemes: 'scheme',
};

/** The id of the registry row with `code`, or NotFoundError naming `field`. */
export async function idOf(db: CommonQueryMethods, table: RegistryTable, code: string, field: string): Promise<number> {
  const id = await db.maybeOneFirst(sql.unsafe`select id from ${sql.identifier([table])} where code = ${code}`);
  if (id === null) throw new NotFoundError(NOUN[table], code, field);
  return id as number;
}

/**
 * Runs an insert, turning a unique violation into "<noun> <code> already exists" on `field`, or,
 * for a constraint named in `other`, into that constraint's own field and message.
 */
export async function insertUnique<T>(
  what: string, key: string, field: string, run: () => Promise<T>, other: Record<string, { field: string; message: string }> = {},
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UniqueIntegrityConstraintViolationError) {
      const special = err.constraint ? other[err.constraint] : undefined;
      if (special) throw new InputError('duplicate', special.message, special.field);
      throw new InputError('duplicate', `${what} ${JSON.stringify(key)} already exists`, field);
    }
    throw err;
  }
}
