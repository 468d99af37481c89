-- Manual adjustments (design §10, maker-checker: a card against suspense:adjustments) are their own
-- settlement category. They appear in no party file (suspense is no party), and in a
-- proportional-breakage cohort they correct what was loaded, in either sign: cohort flow 'load'.
alter table entry_kinds drop constraint entry_kinds_category_check;
alter table entry_kinds add constraint entry_kinds_category_check check (category in (
  'bulk_load', 'card_fee', 'load', 'purchase', 'refund', 'undo',
  'points_earn', 'points_redeem', 'points_load', 'points_exchange', 'points_expiry', 'points_revaluation',
  'lottery', 'lottery_prize', 'replacement', 'cash_out', 'dormancy_fee', 'breakage', 'escheat', 'breakage_memo',
  'settlement', 'payment', 'adjustment'));

insert into entry_kinds (kind, category, counted, cohort_flow, activity) values
  ('adjustment', 'adjustment', true, 'load', true);
