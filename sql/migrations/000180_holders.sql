-- Cardholders (design §10): personal data encrypted with the key ring, found by keyed blind
-- indexes; cards and cardholder logins refer to a holder by id only.

create table holders (
  id               bigint generated always as identity primary key,
  id_type          text check (id_type in ('resident_id', 'passport', 'other')),
  pii_cipher       bytea,
  key_id           text,
  mobile_index     bytea,
  id_number_index  bytea,
  issuer_id        bigint references issuers,
  created_at       timestamptz not null,
  forgotten_at     timestamptz,
  check ((forgotten_at is null) = (pii_cipher is not null and key_id is not null and mobile_index is not null and id_number_index is not null and id_type is not null))
);
comment on table holders is 'Cardholders (用户). Name, ID number and mobile exist only inside pii_cipher; lookups use the keyed blind indexes. Forgetting erases all of them (the ledger keeps only ids).';
comment on column holders.pii_cipher is 'AES-256-GCM (12-byte IV, 16-byte tag, ciphertext) of the JSON {name, id_number, mobile}; key named by key_id.';
comment on column holders.mobile_index is 'HMAC-SHA256 of the normalized mobile number under a key derived from the key ring: lookup and login, never reversible.';
comment on column holders.id_number_index is 'HMAC-SHA256 of the normalized ID number (with its type) under a key derived from the key ring.';
comment on column holders.issuer_id is 'The issuer whose issuer_ops registered the holder (they see it; also every holder with a card of their issuer). Null: registered by the platform.';
create unique index holders_mobile on holders (mobile_index) where mobile_index is not null;
create index holders_id_number on holders (id_number_index) where id_number_index is not null;

alter table cards add column holder_id bigint references holders;
comment on column cards.holder_id is 'The linked cardholder; named programs need one before the first activation or load (57 otherwise).';
create index cards_holder on cards (holder_id) where holder_id is not null;

alter table operators add column holder_id bigint unique references holders;
alter table operators add constraint operators_cardholder check ((role = 'cardholder') = (holder_id is not null));
comment on column operators.holder_id is 'For role cardholder: the holder this login is (username holder.<id>; the holder logs in with the mobile number).';
