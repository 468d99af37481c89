-- Settlement (design §4, §6) files every leg of a business date under the business category of
-- its entry, and a points entry's merchant legs (in money, not points) under its scheme. Two facts
-- for that lived only in the entries: the scheme a points entry's memo names, and, for a void or
-- reversal, the kind of the entry it undoes (its category: a voided purchase and its void net out
-- in the purchase columns). Fetching them cost settlement random reads of the entries (one probe
-- per points entry, two per undo entry) on top of its scan of the date's postings; with both copied
-- onto each posting at posting time (as merchant_id and channel_id are, migration 000090),
-- settlement is one GROUP BY over the date's postings, which PostgreSQL runs with parallel workers.
-- Both come from the entry's memo (entries.memo->>'scheme', entries.memo->>'reverses'); every
-- producer of a void or reversal names the original's kind there, and of a points undo its scheme.
-- Nullable text, no default: adding them rewrites nothing.
alter table postings add column scheme text, add column reverses_kind text;

comment on column postings.scheme is 'Code of the points scheme of the entry (entries.memo->>''scheme''; for a void, reversal or claw-back of a points entry, the original''s), copied so settlement aggregates without a join; null for stored-value entries.';
comment on column postings.reverses_kind is 'For a void or reversal: the kind of the entry it undoes (entries.memo->>''reverses''), copied so settlement files its legs under the original''s category without a join; null otherwise.';

-- Backfill, as in 000090: postings refuse UPDATE (trigger postings_append_only), this one-off copy
-- of facts of the entries changes no amount, the trigger is off for these statements only, and
-- ALTER TABLE keeps every other session off postings until the migration commits. Entries written
-- before this migration may lack the memo fields, so they are read from the entries themselves:
-- an undo entry's scheme is its original's (its own memo's for a claw-back naming none there).
alter table postings disable trigger postings_append_only;
update postings p set scheme = e.memo->>'scheme'
from entries e
where e.id = p.entry_id and e.reverses_entry_id is null and e.memo ? 'scheme';
update postings p set scheme = coalesce(o.memo->>'scheme', y.memo->>'scheme'),
                      reverses_kind = case when y.kind in ('void', 'reversal') then coalesce(y.memo->>'reverses', o.kind) end
from entries y left join entries o on o.id = y.reverses_entry_id
where y.id = p.entry_id and y.reverses_entry_id is not null;
alter table postings enable trigger postings_append_only;

-- A void or reversal that does not say what it undoes would be settled under no category; any
-- other entry saying it would be settled under another's.
alter table postings add constraint postings_undo_names_original
  check ((entry_kind in ('void', 'reversal')) = (reverses_kind is not null));

-- Settlement reads which originals a date's voids and reversals undo from this index alone
-- (an index-only scan: kind and reverses_entry_id ride along).
drop index entries_undo_by_date;
create index entries_undo_by_date on entries (business_date) include (reverses_entry_id, kind)
  where kind in ('void', 'reversal', 'points_clawback');
