import { POST_SQL } from '../ledger/post.js';
import { APPLY_FUSED_SQL, CLAIM_SQL, LOCK_CARDS_SQL } from './batch-sql.js';
import type { Statements } from './fused.js';

/** Names of the SQL-level prepared statements of the fused batch path (distinct from node-pg's protocol-level names). */
export const FUSED = {
  claim: 'purse_fused_claim',
  lockCards: 'purse_fused_lock_cards',
  postEntries: 'purse_fused_post_entries',
  applyFused: 'purse_fused_apply',
} as const;

/** The fused path's statements: the same SQL the step-by-step path binds. */
export const FUSED_STATEMENTS: Statements = {
  [FUSED.claim]: CLAIM_SQL,
  [FUSED.lockCards]: LOCK_CARDS_SQL,
  [FUSED.postEntries]: POST_SQL,
  [FUSED.applyFused]: APPLY_FUSED_SQL,
};
