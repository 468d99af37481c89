-- Points lottery (issue 4): configured games, their prize tables, and every draw with its random value
-- so any draw can be audited and replayed. Games and prizes are registry data (small, never edited
-- after creation except the stock counter and the active flag); draws are card-scoped (card_id first).

create table lottery_games (
  id          bigint generated always as identity primary key,
  code        text not null unique check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
  name        text not null check (length(name) between 1 and 200),
  scheme_id   bigint not null references schemes,
  cost_points bigint not null check (cost_points > 0),
  active      boolean not null default true,
  created_at  timestamptz not null default now()
);
comment on table lottery_games is 'Lottery games: a draw costs cost_points of the scheme and wins at most one prize of the game''s table.';
comment on column lottery_games.cost_points is 'Points of the game''s scheme a draw costs (k in design §4).';

create table lottery_prizes (
  id               bigint generated always as identity primary key,
  game_id          bigint not null references lottery_games,
  ordinal          smallint not null check (ordinal between 1 and 100),
  code             text not null check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
  name             text not null check (length(name) between 1 and 200),
  kind             text not null check (kind in ('points', 'goods')),
  points           bigint check (points > 0),
  goods_value      bigint check (goods_value > 0),
  merchant_id      bigint references merchants,
  weight_ppm       integer not null check (weight_ppm between 1 and 1000000),
  initial_stock    bigint check (initial_stock >= 0),
  stock            bigint check (stock >= 0),
  fallback_ordinal smallint,
  unique (game_id, ordinal),
  unique (game_id, code),
  check ((kind = 'points') = (points is not null)),
  check ((kind = 'goods') = (goods_value is not null and merchant_id is not null)),
  check ((initial_stock is null) = (stock is null) and (stock is null or stock <= initial_stock)),
  check (fallback_ordinal is distinct from ordinal),
  foreign key (game_id, fallback_ordinal) references lottery_prizes (game_id, ordinal) deferrable initially deferred
);
comment on table lottery_prizes is 'Prize table of a game. A random value r in [0, 1000000) wins the prize whose band (cumulative weight_ppm in ordinal order) contains r; r beyond the last band wins nothing. An exhausted prize falls through to its fallback prize (same game), else to no prize.';
comment on column lottery_prizes.points is 'Points prize q (kind points), in the game''s scheme.';
comment on column lottery_prizes.goods_value is 'Value g of a goods prize in minor units of the scheme currency, paid to the supplying merchant (design §4 lottery goods prize).';
comment on column lottery_prizes.merchant_id is 'Merchant that supplies a goods prize and is paid goods_value for it.';
comment on column lottery_prizes.weight_ppm is 'Probability of the prize in parts per million (exact integer weight); the weights of a game sum to at most 1000000.';
comment on column lottery_prizes.initial_stock is 'Stock the prize was configured with; null = unlimited.';
comment on column lottery_prizes.stock is 'Prizes left; decremented atomically per award (never below zero), restored when a draw is reversed; null = unlimited.';
comment on column lottery_prizes.fallback_ordinal is 'Prize (same game) awarded instead when this one is out of stock; null = no prize.';

create table lottery_draws (
  card_id           bigint not null references cards,
  id                bigint generated always as identity,
  game_id           bigint not null references lottery_games,
  random_value      integer not null check (random_value between 0 and 999999),
  drawn_prize_id    bigint references lottery_prizes,
  prize_id          bigint references lottery_prizes,
  cost_points       bigint not null check (cost_points > 0),
  entry_id          bigint references entries,
  prize_entry_id    bigint references entries,
  transaction_id    bigint,
  occurred_at       timestamptz not null,
  reversed          boolean not null default false,
  reversal_entry_id bigint references entries,
  created_at        timestamptz not null default now(),
  primary key (card_id, id)
);
comment on table lottery_draws is 'Every draw: the CSPRNG value, the prize its band selected (drawn) and the prize awarded after stock fall-through, so the draw can be replayed and audited.';
comment on column lottery_draws.random_value is 'Uniform random integer in [0, 1000000) from crypto.randomInt.';
comment on column lottery_draws.drawn_prize_id is 'Prize whose band contains random_value; null = the no-prize band.';
comment on column lottery_draws.prize_id is 'Prize actually awarded (drawn, or its fallback when out of stock); null = no prize.';
comment on column lottery_draws.cost_points is 'Points the draw cost (the game''s cost when drawn).';
comment on column lottery_draws.entry_id is 'The lottery entry (cost and points prize); null when they cancel out (prize points = cost).';
comment on column lottery_draws.prize_entry_id is 'The lottery_prize entry paying the supplier of a goods prize.';
comment on column lottery_draws.reversed is 'Set once when the draw is reversed or voided: the points are restored exactly once.';
create index lottery_draws_game on lottery_draws (game_id, id);
create index lottery_draws_transaction on lottery_draws (transaction_id) where transaction_id is not null;
