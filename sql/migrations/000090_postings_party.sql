-- Settlement (design §4 "Hot accounts", §6) attributes card and commission legs to the merchant and
-- channel of their entry. Joining a business date's ~5 postings per entry back to its entries cost
-- most of `purse settle` at 1,000,000 transactions; with the entry's merchant and channel copied
-- onto each posting (as business_date and entry_kind already are), settlement is one GROUP BY over
-- the date's postings plus small lookups for voids, reversals and claw-backs.
-- Two nullable bigints, no default (adding them rewrites nothing) and no foreign keys (see 000070:
-- a key check per posting on the authorization hot path; merchants and channels are never deleted).
alter table postings add column merchant_id bigint, add column channel_id bigint;

comment on column postings.merchant_id is 'Copied from the entry (entries.merchant_id) so settlement aggregates without a join. No foreign key: see migrations 000070 and 000090.';
comment on column postings.channel_id is 'Copied from the entry (entries.channel_id) so settlement aggregates without a join. No foreign key: see migrations 000070 and 000090.';

-- Backfill the postings written before this migration. Postings refuse UPDATE (trigger
-- postings_append_only, migration 000003); this one-off copy of the entry's own columns changes no
-- amount, so the trigger is disabled for this statement only and re-enabled in the same
-- transaction (the migration runs in one; ALTER TABLE holds an exclusive lock on postings until it
-- commits, so no other session writes or sees postings meanwhile).
alter table postings disable trigger postings_append_only;
update postings p set merchant_id = e.merchant_id, channel_id = e.channel_id
from entries e
where e.id = p.entry_id and (e.merchant_id is not null or e.channel_id is not null);
alter table postings enable trigger postings_append_only;
