import { POST_SQL } from '../ledger/post.js';
import { APPLY_FUSED_SQL, CLAIM_SQL, EXPECT_SQL, LOCK_CARDS_SQL, RECORD_SQL } from './batch-sql.js';
import type { Statements } from './fused.js';

/** Names of the SQL-level prepared statements of the fused and one-round-trip batch paths (distinct from node-pg's protocol-level names). */
export const FUSED = {
  claim: 'purse_fused_claim',
  lockCards: 'purse_fused_lock_cards',
  record: 'purse_fused_record',
  expect: 'purse_fused_expect',
  postEntries: 'purse_fused_post_entries',
  applyFused: 'purse_fused_apply',
} as const;

/** Their statements: the same SQL the step-by-step path binds, and the one-round-trip path's own two. */
export const FUSED_STATEMENTS: Statements = {
  [FUSED.claim]: CLAIM_SQL,
  [FUSED.lockCards]: LOCK_CARDS_SQL,
  [FUSED.record]: RECORD_SQL,
  [FUSED.expect]: EXPECT_SQL,
  [FUSED.postEntries]: POST_SQL,
  [FUSED.applyFused]: APPLY_FUSED_SQL,
};
