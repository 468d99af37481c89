-- ISO 8583 acquiring (design §5b): terminal keys and sessions, the ISO request log that maps the
-- terminal's idempotency key to the core's request_id, terminal batches and batch uploads.

create table iso_terminals (
  terminal_id   bigint primary key references terminals,
  tmk_cipher    bytea not null,
  tmk_key_id    text not null,
  mac_alg       text not null default 'cup' check (mac_alg in ('cup', 'x919')),
  pik_cipher    bytea,
  mak_cipher    bytea,
  work_key_id   text,
  signed_on_at  timestamptz,
  batch         integer not null default 1 check (batch between 1 and 999999),
  updated_at    timestamptz not null default now(),
  check ((pik_cipher is null) = (mak_cipher is null))
);
comment on table iso_terminals is 'ISO 8583 terminals: the TMK (encrypted with the key ring), the working keys of the current sign-on (PIK, MAK, encrypted), the MAC algorithm and the open batch number.';
comment on column iso_terminals.batch is 'The terminal batch now open (60.2); settlement (0500) closes it and opens the next.';

create sequence iso_rrn_seq as bigint minvalue 1 maxvalue 999999999999 cycle;
comment on sequence iso_rrn_seq is 'Retrieval reference numbers (DE37, 12 digits).';

create table iso_requests (
  id                  bigint generated always as identity primary key,
  channel_id          bigint not null references channels,
  terminal_id         bigint not null references terminals,
  batch               integer not null,
  stan                integer not null,
  class               text not null,
  request_id          text not null,
  original_request_id text,
  type                text not null,
  rrn                 text not null check (rrn ~ '^[0-9]{12}$'),
  response_code       text,
  amount_approved     bigint,
  points              boolean not null,
  transaction_id      bigint,
  created_at          timestamptz not null default now(),
  unique (channel_id, terminal_id, batch, stan, class)
);
comment on table iso_requests is 'One row per answered ISO financial request key (DE42/DE41 terminal, 60.2 batch, DE11 STAN, transaction class): the core request_id it maps to, its RRN and its answer (for terminal batch totals). No card data. The unique key also serves the batch look-ups (channel, terminal, batch).';
comment on column iso_requests.rrn is 'Retrieval reference number (DE37), from iso_rrn_seq: unique without an index of its own.';
comment on column iso_requests.amount_approved is 'Approved amount in minor units of the card currency (points for points types).';

create table iso_batches (
  terminal_id           bigint not null references terminals,
  batch                 integer not null,
  opened_at             timestamptz not null default now(),
  closed_at             timestamptz,
  debit_amount          bigint not null default 0,
  debit_count           integer not null default 0,
  credit_amount         bigint not null default 0,
  credit_count          integer not null default 0,
  terminal_debit_amount bigint,
  terminal_debit_count  integer,
  terminal_credit_amount bigint,
  terminal_credit_count integer,
  balanced              boolean,
  primary key (terminal_id, batch)
);
comment on table iso_batches is 'Terminal batches settled with 0500: the host totals, the terminal totals (DE48) and whether they balanced.';
comment on column iso_batches.debit_amount is 'Host total of approved purchases, completions and loads of the batch net of voids and reversals (minor units).';
comment on column iso_batches.credit_amount is 'Host total of approved refunds of the batch (minor units).';
comment on column iso_batches.terminal_debit_amount is 'Debit total the terminal reported in DE48 (minor units).';
comment on column iso_batches.terminal_credit_amount is 'Credit total the terminal reported in DE48 (minor units).';

create table iso_batch_uploads (
  terminal_id  bigint not null references terminals,
  batch        integer not null,
  stan         integer not null,
  network_code text not null,
  items        integer,
  detail_hash  bytea not null,
  created_at   timestamptz not null default now(),
  primary key (terminal_id, batch, stan)
);
comment on table iso_batch_uploads is 'Batch uploads (0320) kept after an unbalanced settlement: the DE48 detail only as a keyed hash (it may hold card numbers).';
