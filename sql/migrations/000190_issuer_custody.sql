-- Prepaid custody (design §6b; MOFCOM Order 2012 No. 9, art. 26): an issuer's class sets the share
-- of the previous quarter's closing prepaid balance it keeps in custody; the custody balances the
-- issuers report are recorded per quarter so the custody report can show any shortfall.

alter table issuers add column custody_class text not null default 'other'
  check (custody_class in ('scale', 'group', 'brand', 'other'));
comment on column issuers.custody_class is 'MOFCOM Order 2012 No. 9 art. 26 class: scale (规模发卡企业, 20% in custody), group (集团, 30%), brand (品牌, 40%) of the previous quarter''s closing prepaid balance; other: no ratio.';

create table issuer_custody (
  issuer_id   bigint not null references issuers,
  quarter     text not null check (quarter ~ '^[0-9]{4}Q[1-4]$'),
  currency    text not null default 'CNY' check (currency ~ '^[A-Z]{3}$'),
  amount      bigint not null check (amount >= 0),
  recorded_at timestamptz not null default now(),
  primary key (issuer_id, quarter, currency)
);
comment on table issuer_custody is 'Custody (存管) balance an issuer holds for a quarter, as recorded by `purse issuer custody`; recording again replaces it.';
comment on column issuer_custody.amount is 'Balance held in the custody account for the quarter, minor units (fen).';
comment on column issuer_custody.recorded_at is 'Audit time of the last recording.';
