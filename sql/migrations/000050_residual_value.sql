-- Residual value (issue 7): card lifecycle audit, dormancy charges, breakage runs and their
-- auditable computation. Money itself only ever moves through entries/postings.

create table card_status_changes (
  card_id     bigint not null references cards,
  id          bigint generated always as identity,
  action      text not null check (action in ('freeze', 'unfreeze', 'mark_lost', 'replace', 'reactivate', 'cash_out', 'expire')),
  from_status text not null,
  to_status   text not null,
  occurred_at timestamptz not null,
  detail      jsonb,
  created_at  timestamptz not null default now(),
  primary key (card_id, id)
);
comment on table card_status_changes is 'Audit trail of card lifecycle changes (who-did-what is in the logs; this keeps what and when, by business time).';
comment on column card_status_changes.occurred_at is 'Business time from the injectable clock; created_at is the audit time.';

create table dormancy_charges (
  card_id  bigint not null references cards,
  month    date not null check (month = date_trunc('month', month)::date),
  amount   bigint not null check (amount > 0),
  entry_id bigint not null references entries,
  primary key (card_id, month)
);
comment on table dormancy_charges is 'One row per dormancy fee charged: the primary key makes a card pay at most once per calendar month.';
comment on column dormancy_charges.amount is 'Fee charged, minor units: min(program dormancy_fee, available balance), never below zero.';

create table breakage_runs (
  id             bigint generated always as identity primary key,
  as_of          date not null,
  occurred_at    timestamptz not null,
  remote_cards   integer not null check (remote_cards >= 0),
  remote_amount  bigint not null check (remote_amount >= 0),
  escheat_cards  integer not null check (escheat_cards >= 0),
  escheat_amount bigint not null check (escheat_amount >= 0),
  memo_true_up   bigint not null,
  created_at     timestamptz not null default now()
);
comment on table breakage_runs is 'Every posting `purse breakage run` (dry runs are not recorded); a run as of a date before the latest recorded as_of is refused.';
comment on column breakage_runs.remote_amount is 'Value derecognised from expired cards to issuers or revenue:breakage by this run, minor units.';
comment on column breakage_runs.escheat_amount is 'Value moved from expired cards to escheat (a liability) by this run, minor units.';
comment on column breakage_runs.memo_true_up is 'Net proportional breakage income recognised in the memo books by this run (true-ups may be negative), minor units.';

create table breakage_cohorts (
  run_id               bigint not null references breakage_runs,
  program_id           bigint not null references programs,
  cohort               text not null check (cohort ~ '^[0-9]{4}-[0-9]{2}$'),
  fully_expired        boolean not null,
  loaded               bigint not null,
  redeemed             bigint not null,
  rate_bps             integer not null check (rate_bps between 0 and 10000),
  rate_source          text not null check (rate_source in ('actual', 'configured', 'estimated', 'none')),
  expected_breakage    bigint not null,
  expected_redemptions bigint not null,
  recognised_before    bigint not null,
  recognised_to_date   bigint not null,
  true_up              bigint not null,
  entry_id             bigint references entries,
  primary key (run_id, program_id, cohort)
);
comment on table breakage_cohorts is 'Proportional breakage computation per run, program and issue cohort (ASC 606-10-55-48 / IFRS 15 B46 / CAS 14), as written to the run report.';
comment on column breakage_cohorts.loaded is 'Value loaded onto the cohort''s cards up to as_of (net of voided/reversed loads), minor units.';
comment on column breakage_cohorts.redeemed is 'Value that left the cohort''s cards other than by transfer or derecognition up to as_of, minor units.';
comment on column breakage_cohorts.expected_breakage is 'B: loaded x rate (or the actual unredeemed value once the cohort fully expired), minor units.';
comment on column breakage_cohorts.expected_redemptions is 'E = loaded - B, minor units.';
comment on column breakage_cohorts.recognised_before is 'Memo breakage income recognised for the cohort before this run, minor units.';
comment on column breakage_cohorts.recognised_to_date is 'min(B, r(B x redeemed / E)): cumulative income the proportional method recognises as of as_of, minor units.';
comment on column breakage_cohorts.true_up is 'recognised_to_date - recognised_before, posted as one breakage_memo entry, minor units.';

-- Recognised-to-date per (program, cohort) is summed from the ledger's breakage_memo entries; the
-- partial index keeps that to the few memo entries instead of a scan of every entry.
create index entries_breakage_memo on entries (((memo->>'program_id')::bigint), (memo->>'cohort')) where kind = 'breakage_memo';

-- Expiry and remote breakage look for cards by expiry date among the not-yet-closed ones.
create index cards_expiry on cards (expiry_date) where expiry_date is not null and status <> 'closed';
