-- Bulk stored-value loads (design §6): every applied load row leaves its reference here, in the
-- same transaction as its ledger entry, so a reference is applied at most once per issuer across
-- runs and files, also when a run is killed halfway and started again.

create table load_references (
  issuer_id  bigint not null references issuers,
  reference  text not null check (reference ~ '^[A-Za-z0-9_.:-]{1,64}$'),
  card_id    bigint not null,
  amount     bigint not null check (amount > 0),
  entry_id   bigint not null,
  file_name  text not null check (length(file_name) between 1 and 255),
  line       integer not null check (line > 1),
  applied_at timestamptz not null default now(),
  primary key (issuer_id, reference)
);
comment on table load_references is 'Applied bulk-load references, unique per issuer: the exactly-once record of `purse cards load`.';
comment on column load_references.card_id is 'Card the row credited (no foreign key: written only by the load path from the card it just credited).';
comment on column load_references.amount is 'Amount credited to the card value account, minor units of the program currency.';
comment on column load_references.entry_id is 'The bulk_load ledger entry of this row (no foreign key: inserted in the same transaction as the entry).';
comment on column load_references.file_name is 'Base name of the load file the reference was first applied from.';
comment on column load_references.line is 'Line number of the row in that file (line 1 is the header).';
comment on column load_references.applied_at is 'Audit time of the commit that applied the row.';
