-- Entry kinds carry how settlement, breakage and dormancy count them, in one place (issue 18):
-- settlement aggregation, proportional breakage and dormancy read these columns instead of
-- spelling kind lists, and an entry of a kind not listed here is refused, so a new kind cannot be
-- posted until someone has said how it counts. src/ledger/entry-kinds.ts holds the same table for
-- TypeScript; test/ledger/entry-kinds.test.ts checks that the two agree row for row.

create table entry_kinds (
  kind        text primary key check (kind ~ '^[a-z_]+$'),
  category    text not null check (category in (
                'bulk_load', 'card_fee', 'load', 'purchase', 'refund', 'undo',
                'points_earn', 'points_redeem', 'points_load', 'points_exchange', 'points_expiry', 'points_revaluation',
                'lottery', 'lottery_prize', 'replacement', 'cash_out', 'dormancy_fee', 'breakage', 'escheat', 'breakage_memo',
                'settlement', 'payment')),
  counted     boolean not null,
  cohort_flow text not null check (cohort_flow in ('load', 'redemption', 'transfer', 'derecognition')),
  activity    boolean not null
);
comment on table entry_kinds is 'Reference table of entries.kind: how each kind of entry counts in settlement, breakage and dormancy. Changed only by migrations, together with src/ledger/entry-kinds.ts.';
comment on column entry_kinds.category is 'Settlement category of the kind''s legs (the merchants/issuers file columns): capture files as purchase, activate as load, points_clawback as a negative points_earn, breakage_reversal as a negative breakage; undo (void, reversal): the category of the entry undone (postings.reverses_kind).';
comment on column entry_kinds.counted is 'Whether a card leg of an entry of this kind counts as a transaction in the settlement files (voids, reversals, claw-backs, goods prizes and breakage reversals never do).';
comment on column entry_kinds.cohort_flow is 'How its card-value legs count in a proportional-breakage cohort: load (value loaded), redemption (value used), transfer (moved between the cohort''s cards), derecognition (breakage, escheat and their reversal): neither loaded nor redeemed.';
comment on column entry_kinds.activity is 'Whether a posting of this kind is card activity (dormancy, liability ageing); a dormancy fee is not.';

insert into entry_kinds (kind, category, counted, cohort_flow, activity) values
  ('bulk_load',          'bulk_load',          true,  'load',          true),
  ('card_fee',           'card_fee',           true,  'redemption',    true),
  ('activate',           'load',               true,  'load',          true),
  ('load',               'load',               true,  'load',          true),
  ('purchase',           'purchase',           true,  'redemption',    true),
  ('capture',            'purchase',           true,  'redemption',    true),
  ('refund',             'refund',             true,  'redemption',    true),
  ('void',               'undo',               false, 'redemption',    true),
  ('reversal',           'undo',               false, 'redemption',    true),
  ('points_earn',        'points_earn',        true,  'redemption',    true),
  ('points_redeem',      'points_redeem',      true,  'redemption',    true),
  ('points_load',        'points_load',        true,  'redemption',    true),
  ('points_exchange',    'points_exchange',    true,  'redemption',    true),
  ('points_clawback',    'points_earn',        false, 'redemption',    true),
  ('points_expiry',      'points_expiry',      true,  'redemption',    true),
  ('points_revaluation', 'points_revaluation', true,  'redemption',    true),
  ('lottery',            'lottery',            true,  'redemption',    true),
  ('lottery_prize',      'lottery_prize',      false, 'redemption',    true),
  ('replacement',        'replacement',        true,  'transfer',      true),
  ('cash_out',           'cash_out',           true,  'redemption',    true),
  ('dormancy_fee',       'dormancy_fee',       true,  'redemption',    false),
  ('breakage',           'breakage',           true,  'derecognition', true),
  ('breakage_reversal',  'breakage',           false, 'derecognition', true),
  ('escheat',            'escheat',            true,  'derecognition', true),
  ('breakage_memo',      'breakage_memo',      true,  'redemption',    true),
  ('settlement',         'settlement',         true,  'redemption',    true),
  ('payment',            'payment',            true,  'redemption',    true);

-- The rows are reference data: a kind in use must not change meaning or disappear under posted entries.
create trigger entry_kinds_fixed before update or delete on entry_kinds
  for each row execute function refuse_change();
create trigger entry_kinds_no_truncate before truncate on entry_kinds
  for each statement execute function refuse_change();

-- Why not `entries.kind references entry_kinds`: a foreign key checks each inserted entry with
-- SELECT … FOR KEY SHARE on its kind's row, so every posting transaction would lock the same few
-- rows ('purchase' above all): a MultiXact each time two transactions overlap and a heap-lock WAL
-- record per transaction, on the authorization path that design §7 keeps free of hot rows; and
-- one trigger call per row on bulk loads of a million entries (one INSERT of 200,000 entries took
-- about 2.5× as long with the foreign key as without, and about 1.2× with the check below). One
-- check per statement over its inserted entries (the way postings_check_balanced checks balance)
-- refuses the same entries with the same SQLSTATE and takes no lock; the triggers above keep the
-- referenced rows fixed.
create function entries_check_kind() returns trigger language plpgsql as $$
declare
  bad text;
begin
  -- the entry's kind, and for a void or reversal the kind it undoes (memo.reverses, which settlement
  -- files its legs under: postings.reverses_kind)
  select x.kind into bad from new_entries n
    cross join lateral (values (n.kind), (n.memo->>'reverses')) as x(kind)
    where x.kind is not null and not exists (select 1 from entry_kinds k where k.kind = x.kind) limit 1;
  if found then
    raise exception 'entry kind % is not in entry_kinds: add it there (with its settlement category) first', bad
      using errcode = 'foreign_key_violation';
  end if;
  return null;
end $$;

create trigger entries_kind_known after insert on entries
  referencing new table as new_entries
  for each statement execute function entries_check_kind();

-- Entries posted before this migration: every kind must already be listed (one pass over entries,
-- as VALIDATE CONSTRAINT would make).
do $$
declare
  bad text;
begin
  select e.kind into bad from (
      select distinct kind from entries
      union select distinct memo->>'reverses' from entries where kind in ('void', 'reversal') and memo ? 'reverses') e
    where not exists (select 1 from entry_kinds k where k.kind = e.kind) limit 1;
  if found then
    raise exception 'entries of kind % exist but the kind is not in entry_kinds', bad using errcode = 'foreign_key_violation';
  end if;
end $$;
