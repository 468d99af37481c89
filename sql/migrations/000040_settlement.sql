-- Business-date settlement (design §4 "Closing a business date", §6 settlement files).
-- `purse settle` aggregates a closed date once, in the transaction that posts its settlement
-- entries, and keeps the file rows here: the files are rendered from these rows, so a re-run
-- rewrites them byte for byte without posting or re-reading the postings.

create table settlements (
  business_date       date primary key references business_dates,
  balanced            boolean not null,
  asset_totals        jsonb not null,
  settlement_entries  integer not null check (settlement_entries >= 0),
  revaluation_entries integer not null check (revaluation_entries >= 0),
  settled_at          timestamptz not null default now()
);
comment on table settlements is 'One row per settled business date; its presence means the date''s settlement entries are posted.';
comment on column settlements.balanced is 'Every posting of the date (cards, parties, floats, revenue, settled) sums to zero per asset.';
comment on column settlements.asset_totals is 'Sum of all the date''s postings per asset, {"CNY": 0, ...}: minor units or points; all zero when balanced.';
comment on column settlements.settlement_entries is 'Number of settlement entries posted (one per party and currency with a non-zero position).';
comment on column settlements.revaluation_entries is 'Number of points_revaluation entries posted (one per scheme whose float needed one).';
comment on column settlements.settled_at is 'Audit time of the settlement (not part of any file).';

create table settlement_merchants (
  business_date            date not null references settlements deferrable initially deferred,
  merchant_id              bigint not null references merchants,
  merchant_code            text not null,
  merchant_name            text not null,
  currency                 text not null,
  purchase_count           bigint not null,
  purchase_amount          bigint not null,
  refund_count             bigint not null,
  refund_amount            bigint not null,
  load_count               bigint not null,
  load_amount              bigint not null,
  commission               bigint not null,
  points_funding           bigint not null,
  points_redemption_amount bigint not null,
  points_sales_amount      bigint not null,
  prize_amount             bigint not null,
  net_amount               bigint not null,
  primary key (business_date, merchant_id, currency)
);
comment on table settlement_merchants is 'Rows of merchants-<date>.csv (design §6), frozen at settlement (code and name as they were then).';
comment on column settlement_merchants.purchase_amount is 'Purchases and captures (minor units: merchant leg + commission leg); a voided/reversed one nets out with its void/reversal.';
comment on column settlement_merchants.refund_amount is 'Refunds (minor units); a voided/reversed one nets out.';
comment on column settlement_merchants.load_amount is 'POS loads and activations with value: cash the merchant took (minor units), owed to the platform.';
comment on column settlement_merchants.commission is 'Merchant commission on purchases net of what refunds returned (minor units).';
comment on column settlement_merchants.points_funding is 'What the merchant pays for points it awarded, net of claw-backs (minor units).';
comment on column settlement_merchants.points_redemption_amount is 'What the merchant receives for points redeemed (minor units).';
comment on column settlement_merchants.points_sales_amount is 'What the merchant owes for points it sold to cardholders (minor units).';
comment on column settlement_merchants.prize_amount is 'Lottery goods prizes the merchant supplied (minor units).';
comment on column settlement_merchants.net_amount is 'Sum of the merchant''s postings of the date (minor units): > 0 the platform pays the merchant.';

create table settlement_merchant_points (
  business_date            date not null references settlements deferrable initially deferred,
  merchant_id              bigint not null references merchants,
  merchant_code            text not null,
  scheme_id                bigint not null references schemes,
  scheme_code              text not null,
  points_issued            bigint not null,
  points_funding           bigint not null,
  points_redeemed          bigint not null,
  points_redemption_amount bigint not null,
  points_sold              bigint not null,
  points_sales_amount      bigint not null,
  primary key (business_date, merchant_id, scheme_id)
);
comment on table settlement_merchant_points is 'Rows of merchant-points-<date>.csv (design §6), frozen at settlement.';
comment on column settlement_merchant_points.points_issued is 'Points awarded at the merchant, net of claw-backs (points).';
comment on column settlement_merchant_points.points_funding is 'Money the merchant pays for those points (minor units of the scheme currency).';
comment on column settlement_merchant_points.points_redeemed is 'Points redeemed at the merchant (points).';
comment on column settlement_merchant_points.points_redemption_amount is 'Money paid to the merchant for them (minor units).';
comment on column settlement_merchant_points.points_sold is 'Points the merchant sold to cardholders (points).';
comment on column settlement_merchant_points.points_sales_amount is 'Money the merchant owes for them (minor units).';

create table settlement_channels (
  business_date date not null references settlements deferrable initially deferred,
  channel_id    bigint not null references channels,
  channel_code  text not null,
  currency      text not null,
  txn_count     bigint not null,
  fee_amount    bigint not null,
  net_amount    bigint not null,
  primary key (business_date, channel_id, currency)
);
comment on table settlement_channels is 'Rows of channels-<date>.csv (design §6), frozen at settlement.';
comment on column settlement_channels.txn_count is 'Approved financial transactions the channel submitted: a voided one counts (its fee stays), a reversed one does not.';
comment on column settlement_channels.fee_amount is 'Channel fees earned, net of reversals (minor units).';
comment on column settlement_channels.net_amount is 'Sum of the channel''s postings of the date (minor units): > 0 the platform pays the channel.';

create table settlement_issuers (
  business_date   date not null references settlements deferrable initially deferred,
  issuer_id       bigint not null references issuers,
  issuer_code     text not null,
  currency        text not null,
  load_amount     bigint not null,
  card_fee_amount bigint not null,
  cash_out_amount bigint not null,
  breakage_amount bigint not null,
  net_amount      bigint not null,
  primary key (business_date, issuer_id, currency)
);
comment on table settlement_issuers is 'Rows of issuers-<date>.csv (design §6), frozen at settlement.';
comment on column settlement_issuers.load_amount is 'Bulk loads onto the issuer''s cards: owed by the issuer (minor units).';
comment on column settlement_issuers.card_fee_amount is 'Issuance and replacement fees charged to the issuer (minor units).';
comment on column settlement_issuers.cash_out_amount is 'Balances of named cards the issuer paid out (minor units), owed to the issuer.';
comment on column settlement_issuers.breakage_amount is 'Remote breakage derecognised to the issuer net of reactivations (minor units), owed to the issuer.';
comment on column settlement_issuers.net_amount is 'Sum of the issuer''s postings of the date (minor units): > 0 the platform pays the issuer.';

create table settlement_scheme_positions (
  business_date     date not null references settlements deferrable initially deferred,
  scheme_id         bigint not null references schemes,
  outstanding       bigint not null,
  float_amount      bigint not null,
  revaluation       bigint not null,
  primary key (business_date, scheme_id)
);
comment on table settlement_scheme_positions is 'Per settled date and scheme: points outstanding and float over all postings of dates up to and including the date, so the next settlement revalues without re-reading history.';
comment on column settlement_scheme_positions.outstanding is 'Points in circulation (negated scheme issued account) at the end of the date (points).';
comment on column settlement_scheme_positions.float_amount is 'Scheme float at the end of the date, its revaluation included (minor units).';
comment on column settlement_scheme_positions.revaluation is 'Amount of the points_revaluation entry posted at this settlement (minor units; 0 = none).';

-- Voids, reversals and claw-backs of a date, found without scanning the date's other entries (a
-- date of 1,000,000 transactions has ~2% of them): settlement nets each against its original.
create index entries_undo_by_date on entries (business_date) include (reverses_entry_id)
  where kind in ('void', 'reversal', 'points_clawback');
