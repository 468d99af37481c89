-- Design §4 "Hot accounts": no row may be touched by every transaction. A foreign key from entries to
-- merchants and channels takes a KEY SHARE lock on the merchant's and the channel's row for every
-- entry inserted (multixact traffic on one channel row carrying a whole acquiring network), and the
-- checks on entries.reverses_entry_id and postings.entry_id cost one index probe per row: about 17%
-- of PostgreSQL's CPU per purchase, measured by the authorization benchmark.
-- Integrity does not depend on them: entries and their postings are written only by postEntries, in
-- one statement (the statement trigger checks the balance), entries and postings are append-only
-- (nothing can be deleted from under a reference), and merchants and channels are never deleted.
alter table entries drop constraint entries_merchant_id_fkey;
alter table entries drop constraint entries_channel_id_fkey;
alter table entries drop constraint entries_reverses_entry_id_fkey;
alter table postings drop constraint postings_entry_id_fkey;

comment on column entries.merchant_id is 'Merchant the event happened at (settlement attributes commission and points funding to it). No foreign key: see migration 000070.';
comment on column entries.channel_id is 'Acquiring channel that submitted the event (channel settlement counts its transactions). No foreign key: see migration 000070.';
