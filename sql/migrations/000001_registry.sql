-- Registry: the operator's parties and products (design §3). Small tables, future Citus reference tables.

create table issuers (
  id          bigint generated always as identity primary key,
  code        text not null unique check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
  name        text not null check (length(name) between 1 and 200),
  is_operator boolean not null default false,
  created_at  timestamptz not null default now()
);
comment on table issuers is 'Card issuers; the row with is_operator is the platform itself (its breakage is revenue).';
create unique index issuers_one_operator on issuers (is_operator) where is_operator;

create table schemes (
  id               bigint generated always as identity primary key,
  code             text not null unique check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
  name             text not null check (length(name) between 1 and 200),
  currency         text not null default 'CNY' check (currency ~ '^[A-Z]{3}$'),
  issue_price      bigint not null check (issue_price >= 0),
  redemption_value bigint not null check (redemption_value >= 0),
  sale_price       bigint not null check (sale_price >= 0),
  validity_months  integer check (validity_months between 1 and 600),
  created_at       timestamptz not null default now()
);
comment on table schemes is 'Points currencies. The ledger asset of a scheme is PTS:<code>.';
comment on column schemes.issue_price is 'What a merchant pays per point it awards, in minor units per 10,000 points (exact fractions of a fen).';
comment on column schemes.redemption_value is 'What a merchant receives per point redeemed (v), minor units per 10,000 points.';
comment on column schemes.sale_price is 'Price of points sold to cardholders, minor units per 10,000 points.';
comment on column schemes.validity_months is 'Months a points lot stays valid; null = points never expire.';

create table exchange_rates (
  id             bigint generated always as identity primary key,
  from_scheme_id bigint not null references schemes,
  to_scheme_id   bigint not null references schemes,
  rate_micro     bigint not null check (rate_micro > 0),
  effective_at   timestamptz not null,
  created_at     timestamptz not null default now(),
  check (from_scheme_id <> to_scheme_id),
  unique (from_scheme_id, to_scheme_id, effective_at)
);
comment on table exchange_rates is 'Versioned published rates; the rate in force at t is the latest with effective_at <= t.';
comment on column exchange_rates.rate_micro is 'Points of the target scheme per point of the source scheme, times 1,000,000 (exact to 6 decimals).';

create table alliances (
  id         bigint generated always as identity primary key,
  code       text not null unique check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
  name       text not null check (length(name) between 1 and 200),
  scheme_id  bigint references schemes,
  created_at timestamptz not null default now()
);
comment on table alliances is 'Merchant points alliances; members accept the alliance scheme by default.';

create table programs (
  id                 bigint generated always as identity primary key,
  code               text not null unique check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
  issuer_id          bigint not null references issuers,
  name               text not null check (length(name) between 1 and 200),
  kind               text not null check (kind in ('stored_value', 'points', 'combo')),
  currency           text not null default 'CNY' check (currency ~ '^[A-Z]{3}$'),
  bin                text not null check (bin ~ '^[0-9]{6,8}$'),
  pan_length         smallint not null default 16 check (pan_length between 16 and 19),
  named              boolean not null default false,
  max_balance        bigint not null check (max_balance > 0),
  validity_months    integer check (validity_months between 1 and 1200),
  reloadable         boolean not null default true,
  requires_pin       boolean not null default false,
  activate_on_issue  boolean not null default false,
  hold_expiry_days   integer not null default 7 check (hold_expiry_days between 1 and 90),
  issuance_fee       bigint not null default 0 check (issuance_fee >= 0),
  replacement_fee    bigint not null default 0 check (replacement_fee >= 0),
  breakage_method    text not null default 'remote' check (breakage_method in ('remote', 'proportional')),
  breakage_grace_days integer not null default 30 check (breakage_grace_days >= 0),
  breakage_rate_bps  integer check (breakage_rate_bps between 0 and 10000),
  escheat            boolean not null default false,
  dormancy_months    integer check (dormancy_months between 1 and 600),
  dormancy_fee       bigint not null default 0 check (dormancy_fee >= 0),
  scheme_id          bigint references schemes,
  created_at         timestamptz not null default now(),
  -- PRC prepaid-card rules: named (registered) cards never expire; anonymous cards are valid >= 36 months.
  check (named = (validity_months is null)),
  check (named or validity_months >= 36),
  check (kind = 'stored_value' or scheme_id is not null),
  check (length(bin) < pan_length)
);
comment on table programs is 'Card products (design §3).';
comment on column programs.max_balance is 'Largest stored value a card may hold, minor units (PRC: 100000 fen anonymous, 500000 named).';
comment on column programs.issuance_fee is 'Fee charged to the issuer per card issued, minor units.';
comment on column programs.replacement_fee is 'Fee charged to the issuer per replacement card, minor units.';
comment on column programs.dormancy_fee is 'Monthly fee on a dormant card, minor units; never takes a balance below zero.';
comment on column programs.breakage_rate_bps is 'Configured breakage rate for the proportional method; null = estimated from older cohorts.';
comment on column programs.escheat is 'Unclaimed value goes to escheat (a liability), never to breakage revenue.';

create table merchants (
  id             bigint generated always as identity primary key,
  code           text not null unique check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
  name           text not null check (length(name) between 1 and 200),
  commission_bps integer not null default 0 check (commission_bps between 0 and 10000),
  earn_scheme_id bigint references schemes,
  earn_rate      integer check (earn_rate between 0 and 1000000),
  earn_cap       bigint check (earn_cap > 0),
  created_at     timestamptz not null default now(),
  check ((earn_scheme_id is null) = (earn_rate is null))
);
comment on column merchants.commission_bps is 'Commission on redemptions of stored value, basis points.';
comment on column merchants.earn_rate is 'Points earned per 100 minor units spent (rounded down).';
comment on column merchants.earn_cap is 'Most points one transaction earns; null = no cap.';

create table merchant_alliances (
  merchant_id bigint not null references merchants,
  alliance_id bigint not null references alliances,
  primary key (merchant_id, alliance_id)
);

create table merchant_programs (
  merchant_id bigint not null references merchants,
  program_id  bigint not null references programs,
  primary key (merchant_id, program_id)
);
comment on table merchant_programs is 'Programs a merchant accepts; a merchant with no rows accepts every program.';

create table merchant_schemes (
  merchant_id bigint not null references merchants,
  scheme_id   bigint not null references schemes,
  primary key (merchant_id, scheme_id)
);
comment on table merchant_schemes is 'Schemes a merchant accepts beyond its alliances'' schemes and its own earn scheme.';

create table terminals (
  id          bigint generated always as identity primary key,
  merchant_id bigint not null references merchants,
  code        text not null check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
  created_at  timestamptz not null default now(),
  unique (merchant_id, code)
);

create table channels (
  id                   bigint generated always as identity primary key,
  code                 text not null unique check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
  name                 text not null check (length(name) between 1 and 200),
  secret_cipher        bytea not null,
  secret_key_id        text not null,
  old_secret_cipher    bytea,
  old_secret_key_id    text,
  old_secret_until     timestamptz,
  fee_fixed            bigint not null default 0 check (fee_fixed >= 0),
  fee_bps              integer not null default 0 check (fee_bps between 0 and 10000),
  created_at           timestamptz not null default now()
);
comment on column channels.secret_cipher is 'HMAC secret, AES-256-GCM encrypted (the daemon needs it to check signatures).';
comment on column channels.old_secret_cipher is 'Previous secret after a rotation, accepted until old_secret_until.';
comment on column channels.fee_fixed is 'Fee per approved financial transaction, minor units.';
comment on column channels.fee_bps is 'Fee in basis points of the stored-value amount.';

create table channel_merchants (
  channel_id  bigint not null references channels,
  merchant_id bigint not null references merchants,
  primary key (channel_id, merchant_id)
);
comment on table channel_merchants is 'Merchants a channel may submit transactions for.';
