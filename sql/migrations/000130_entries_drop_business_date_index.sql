-- entries_business_date (migration 000003) indexed every entry by its business date, but no query
-- reads entries by date alone: settlement reads a date's postings (postings_date_account, which
-- carries the date since 000003) and finds the date's voids and reversals through the partial
-- entries_undo_by_date (000100); reports and residual value read postings. Every entry still paid
-- for it: one more index entry to insert, log and write back per authorization, bulk load row and
-- settlement entry.
drop index entries_business_date;
