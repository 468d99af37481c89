-- Management API (design §10): operators and their sessions, the append-only audit log, the
-- idempotency record of money- or stock-moving admin POSTs, and maker-checker approvals.

create table operators (
  id              bigint generated always as identity primary key,
  username        text not null unique check (username ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
  role            text not null check (role in ('platform_admin', 'finance', 'issuer_ops', 'merchant_admin', 'merchant_operator', 'cardholder')),
  merchant_id     bigint references merchants,
  issuer_id       bigint references issuers,
  password_hash   text not null,
  failed_logins   integer not null default 0 check (failed_logins >= 0),
  locked_until    timestamptz,
  disabled_at     timestamptz,
  created_at      timestamptz not null default now(),
  check ((role in ('merchant_admin', 'merchant_operator')) = (merchant_id is not null)),
  check ((role = 'issuer_ops') = (issuer_id is not null))
);
comment on table operators is 'People who use the management API or act in the CLI with --as; the role and scope decide what they may do.';
comment on column operators.password_hash is 'scrypt$N$r$p$salt$hash (base64): never the password.';
comment on column operators.failed_logins is 'Consecutive failed logins; the fifth locks the account for 15 minutes.';
comment on column operators.locked_until is 'While in the future every login answers 429, whatever the password.';

create table operator_sessions (
  id            bigint generated always as identity primary key,
  operator_id   bigint not null references operators,
  token_hash    bytea not null unique,
  created_at    timestamptz not null,
  last_seen_at  timestamptz not null,
  ended_at      timestamptz
);
comment on table operator_sessions is 'Bearer sessions; token_hash is SHA-256 of the 256-bit random token (the token itself is never stored). Idle for 8 hours = expired.';

create table audit_log (
  id          bigint generated always as identity primary key,
  at          timestamptz not null,
  actor       text not null,
  role        text,
  action      text not null,
  target      text,
  request_id  text,
  source      text,
  outcome     text not null,
  before      jsonb,
  after       jsonb
);
comment on table audit_log is 'Append-only record of every write through the management API or the CLI (design §10); secrets and personal data masked. UPDATE, DELETE and TRUNCATE are refused.';
comment on column audit_log.actor is 'api:<username> or cli:<os user> (cli:<os user>/<username> when the CLI acts as an operator).';
comment on column audit_log.outcome is 'ok, or the refusal: unauthenticated, forbidden, not_found, invalid, conflict, locked, failed.';
create index audit_log_actor on audit_log (actor, id);
create index audit_log_target on audit_log (target, id);
create index audit_log_at on audit_log (at, id);

create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only: % refused', tg_op using errcode = '42501';
end $$;
create trigger audit_log_no_update before update or delete on audit_log for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only();

create table admin_idempotency (
  operator_id  bigint not null references operators,
  key          text not null check (length(key) between 1 and 200),
  route        text not null,
  body_hash    bytea not null,
  status       integer not null,
  response     jsonb not null,
  created_at   timestamptz not null,
  primary key (operator_id, key)
);
comment on table admin_idempotency is 'Answers of admin POSTs that move money or stock, by the operator''s Idempotency-Key: the same key and body get the first answer, another body 409.';
comment on column admin_idempotency.status is 'HTTP status of the first answer; 0 while that request is still running (the key is claimed).';

create table approvals (
  id           bigint generated always as identity primary key,
  kind         text not null check (kind in ('adjustment', 'load')),
  status       text not null check (status in ('pending', 'approved', 'rejected', 'expired')),
  maker_id     bigint not null references operators,
  checker_id   bigint references operators,
  issuer_id    bigint references issuers,
  merchant_id  bigint,
  payload      jsonb not null,
  rows         jsonb,
  file_sha256  text check (file_sha256 ~ '^[0-9a-f]{64}$'),
  total        bigint not null,
  result       jsonb,
  created_at   timestamptz not null,
  expires_at   timestamptz not null,
  decided_at   timestamptz,
  check ((status = 'pending') = (decided_at is null)),
  check ((kind = 'load') = (rows is not null and file_sha256 is not null))
);
comment on table approvals is 'Maker-checker requests (design §10): applied only when another operator with the role approves; rejected or expired ones move nothing.';
comment on column approvals.payload is 'The request: for an adjustment {card_id, amount, reason}; for a load the file name and options.';
comment on column approvals.rows is 'A pending load''s parsed rows (card token id, amount, reference, line): exactly what approval applies. Never a card number.';
comment on column approvals.total is 'Signed adjustment amount, or the load file''s total (minor units).';
create index approvals_pending on approvals (status, id);

-- WEB-SEAT (design §10): the built-in channel of refunds entered through the management API. It
-- may submit for every merchant, now and later; the row itself is created by the daemon at start
-- (its secret has to be encrypted with the key ring), so this trigger links merchants only once it exists.
create function web_seat_merchant() returns trigger language plpgsql as $$
begin
  insert into channel_merchants (channel_id, merchant_id)
  select c.id, new.id from channels c where c.code = 'WEB-SEAT'
  on conflict do nothing;
  return new;
end $$;
create trigger merchants_web_seat after insert on merchants for each row execute function web_seat_merchant();
