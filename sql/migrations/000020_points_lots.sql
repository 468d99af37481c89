-- Points lots (design §3, §4 "card:<id>:points:<scheme> — points (kept in lots with expiry)").
-- Every credit of points to a card is a lot with its own expiry; every debit consumes lots oldest-first.
-- Invariant (checked by `purse ledger verify`, invariant 2): a card's PTS:<scheme> balance in card_accounts
-- equals the sum of `remaining` over its lots of that scheme. Card-scoped: keyed by card_id first (design §9).

create table points_lots (
  card_id         bigint not null references cards,
  id              bigint generated always as identity,
  scheme_id       bigint not null references schemes,
  points          bigint not null check (points > 0),
  remaining       bigint not null check (remaining >= 0 and remaining <= points),
  expires_at      timestamptz,
  source_entry_id bigint not null references entries,
  created_at      timestamptz not null default now(),
  primary key (card_id, id)
);
comment on table points_lots is 'One row per credit of points to a card. Spending consumes lots by expires_at (never-expiring last), then id; expired points leave only through the points expiry job (points_breakage).';
comment on column points_lots.points is 'Points the lot was credited with (PTS:<scheme> units).';
comment on column points_lots.remaining is 'Points of the lot still on the card (PTS:<scheme> units); the card''s balance is the sum over its lots.';
comment on column points_lots.expires_at is 'Business-clock instant from which the lot''s points are expired (cut-off ending the last day of the validity month); null = never expires.';
comment on column points_lots.source_entry_id is 'Ledger entry that credited the lot (earn, load, exchange, lottery prize, reversal of a debit…).';

-- Spending and claw-back read a card's lots of one scheme in consumption order; only live lots matter.
create index points_lots_spend on points_lots (card_id, scheme_id, expires_at, id) where remaining > 0;
-- The expiry job looks for live lots whose expiry has passed.
create index points_lots_expiry on points_lots (expires_at) where remaining > 0 and expires_at is not null;
-- Taking credited points back (reversal, claw-back) prefers the lot its entry created.
create index points_lots_source on points_lots (card_id, source_entry_id);

create table points_lot_moves (
  card_id  bigint not null,
  lot_id   bigint not null,
  entry_id bigint not null references entries,
  points   bigint not null check (points <> 0),
  created_at timestamptz not null default now(),
  foreign key (card_id, lot_id) references points_lots (card_id, id)
);
comment on table points_lot_moves is 'Audit of every change of a lot''s remaining points, by ledger entry; a reversal restores the exact lots its original consumed.';
comment on column points_lot_moves.points is 'Signed change of the lot''s remaining points: positive credited or restored, negative consumed or expired (PTS:<scheme> units).';
create index points_lot_moves_entry on points_lot_moves (card_id, entry_id);

create table points_clawbacks (
  card_id         bigint not null references cards,
  id              bigint generated always as identity,
  earn_entry_id   bigint not null references entries,
  transaction_id  bigint,
  entry_id        bigint references entries,
  returned_amount bigint not null check (returned_amount >= 0),
  points_intended bigint not null check (points_intended >= 0),
  points_clawed   bigint not null check (points_clawed >= 0 and points_clawed <= points_intended),
  reversed        boolean not null default false,
  created_at      timestamptz not null default now(),
  primary key (card_id, id)
);
comment on table points_clawbacks is 'Each claw-back of earned points (void, reversal or refund of the rewarded purchase or of the earn): the cumulative state of an earn is the sum over its rows not reversed.';
comment on column points_clawbacks.returned_amount is 'Purchase amount returned by this event, minor units (the whole purchase for a void or reversal).';
comment on column points_clawbacks.points_intended is 'Points the return should take back in proportion (cumulative rounding, PTS units).';
comment on column points_clawbacks.points_clawed is 'Points actually taken back, capped at the card''s points; points_intended - points_clawed is the reported shortfall.';
comment on column points_clawbacks.entry_id is 'The points_clawback entry; null when nothing could be taken back.';
create index points_clawbacks_earn on points_clawbacks (card_id, earn_entry_id);
create index points_clawbacks_transaction on points_clawbacks (transaction_id) where transaction_id is not null;
