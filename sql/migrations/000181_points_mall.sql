-- Points mall (design §10): merchants' goods and cardholders' orders, paid through the pipeline.

create table goods (
  id            bigint generated always as identity primary key,
  merchant_id   bigint not null references merchants,
  code          text not null check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
  name          text not null check (length(name) between 1 and 200),
  points_price  bigint check (points_price > 0),
  scheme_id     bigint references schemes,
  cash_price    bigint check (cash_price > 0),
  stock         integer not null check (stock >= 0),
  active_from   timestamptz,
  active_to     timestamptz,
  created_at    timestamptz not null,
  deleted_at    timestamptz,
  unique (merchant_id, code),
  check (points_price is not null or cash_price is not null),
  check ((points_price is null) = (scheme_id is null)),
  check (active_to is null or active_from is null or active_to > active_from)
);
comment on table goods is 'A merchant''s redeemable goods (可兑换商品). Stock is reserved by orders in the transaction that creates them.';
comment on column goods.points_price is 'Price in points of scheme_id (the merchant''s earn scheme when created); null = not sold for points.';
comment on column goods.cash_price is 'Price in minor units of stored value; null = not sold for value.';

create table orders (
  id               bigint generated always as identity primary key,
  holder_id        bigint not null references holders,
  card_id          bigint not null references cards,
  goods_id         bigint not null references goods,
  merchant_id      bigint not null references merchants,
  quantity         integer not null check (quantity between 1 and 1000),
  pay              text not null check (pay in ('points', 'value')),
  amount           bigint not null check (amount > 0),
  status           text not null check (status in ('pending', 'placed', 'declined', 'fulfilled', 'cancelling', 'cancelled')),
  transaction_id   bigint,
  cancel_transaction_id bigint,
  response_code    text,
  pickup_cipher    bytea,
  key_id           text,
  created_at       timestamptz not null,
  placed_at        timestamptz,
  fulfilled_at     timestamptz,
  cancelled_at     timestamptz,
  check ((pickup_cipher is null) = (key_id is null))
);
comment on table orders is 'Online points and currency orders (在线积分订单 / 在线货币订单). pending: stock reserved, payment not yet known (a crash here is resolved by replaying the payment''s request id order-<id>); declined: stock returned; cancelling: the void/refund is in flight (replayed the same way).';
comment on column orders.amount is 'What the order costs: points of the goods'' scheme (pay points) or minor units (pay value).';
comment on column orders.pickup_cipher is 'AES-256-GCM of the pickup code the merchant checks at fulfilment; key named by key_id.';
create index orders_holder on orders (holder_id, id);
create index orders_merchant on orders (merchant_id, id);
create index orders_unresolved on orders (created_at) where status in ('pending', 'cancelling');
