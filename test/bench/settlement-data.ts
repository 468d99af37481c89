import type pg from 'pg';

/** Shape of the generated business date (see `generateDay`). */
export interface DayShape { merchants: number; channels: number; cards: number; transactions: number }

/**
 * Registers a scheme, an issuer, `merchants` merchants (150 bps commission, earn 1 point per
 * 100 fen) and `channels` channels (1 fen + 10 bps), set-based.
 */
export async function generateRegistry(db: pg.ClientBase, shape: DayShape): Promise<void> {
  await db.query(`insert into issuers (code, name) values ('BENCH-ISS', 'Bench issuer')`);
  // issue price 1.2 fen/point, redemption value 1 fen/point, stored per 10,000 points
  await db.query(`insert into schemes (code, name, issue_price, redemption_value, sale_price) values ('BENCH-PTS', 'Bench points', 12000, 10000, 11000)`);
  await db.query(`
    insert into merchants (code, name, commission_bps, earn_scheme_id, earn_rate)
    select 'M' || lpad(i::text, 5, '0'), 'Merchant ' || i, 150, (select id from schemes where code = 'BENCH-PTS'), 1
    from generate_series(1, $1::int) i`, [shape.merchants]);
  await db.query(`
    insert into channels (code, name, secret_cipher, secret_key_id, fee_fixed, fee_bps)
    select 'CH' || i, 'Channel ' || i, '\\x00'::bytea, 'k1', 1, 10 from generate_series(1, $1::int) i`, [shape.channels]);
}

/**
 * Writes one business date of `transactions` entries straight into entries and postings, in
 * SQL (benchmark data, not through the daemon), with the posting shapes of design §4. Each block
 * of 100 transactions holds 69 purchases (one voided, one reversed), 10 POS loads, 10 points earns, 5 refunds, 3 points
 * redemptions, the void and the reversal of those two purchases, and an
 * activation with value (points entries name their scheme in the memo, voids and reversals the kind they undo, as the daemon's do; postings carry both); amounts 1.00–500.99 CNY vary by transaction. Card balances are not kept
 * (settlement never reads them), so no card rows are needed.
 */
export async function generateDay(db: pg.ClientBase, date: string, shape: DayShape): Promise<void> {
  const first = Number((await db.query<{ id: number }>(`select coalesce(max(id), 0) + 1 as id from entries`)).rows[0]!.id);
  await db.query(`
    insert into entries (id, kind, business_date, occurred_at, merchant_id, channel_id, reverses_entry_id, memo)
    select $1::bigint + i, k.kind, $2::date, $2::date + interval '1 second' * (i % 86400),
           (select min(id) from merchants) + (i * 7) % $3::int,
           (select min(id) from channels) + i % $4::int,
           case when k.kind in ('void', 'reversal') then $1::bigint + i - 1 end,
           case when k.kind like 'points_%' then '{"scheme": "BENCH-PTS"}'::jsonb
                when k.kind in ('void', 'reversal') then '{"reverses": "purchase"}'::jsonb end
    from generate_series(0, $5::int - 1) i
    cross join lateral (select case
      when i % 100 < 66 then 'purchase' when i % 100 < 76 then 'load' when i % 100 < 86 then 'points_earn'
      when i % 100 < 91 then 'refund' when i % 100 < 94 then 'points_redeem' when i % 100 = 95 then 'void'
      when i % 100 = 96 then 'purchase' when i % 100 = 97 then 'reversal' when i % 100 = 98 then 'activate'
      else 'purchase' end as kind) k
    order by i`, [first, date, shape.merchants, shape.channels, shape.transactions]);
  // Each leg is (account, asset, amount, card). a = amount, f = commission (150 bps), c = channel
  // fee (1 + 10 bps), p = points (1 per 100 fen); rounding half away from zero on positives is
  // (x + 5000) / 10000 in integer arithmetic.
  await db.query(`
    with e as (
      select e.id, e.kind, e.merchant_id, e.channel_id, e.reverses_entry_id,
             100 + (e.id * 7919) % 50000 as a, 1 + e.id % $3::int as card
      from entries e where e.business_date = $1::date and e.id >= $2::bigint
    ), base as (
      -- a void or reversal negates the purchase just before it: same amount, merchant and channel
      select e.id, e.kind, coalesce(o.a, e.a) as a, coalesce(o.card, e.card) as card, e.merchant_id, e.channel_id,
             (select id from schemes where code = 'BENCH-PTS') as scheme_id
      from e left join e o on o.id = e.reverses_entry_id
    ), legs as (
      select b.id, b.kind, l.account, l.asset, l.amount, l.card_id, b.merchant_id, b.channel_id
      from base b cross join lateral (
        select f.v as f, 1 + (b.a * 10 + 5000) / 10000 as c, b.a / 100 as p
        from (select (b.a * 150 + 5000) / 10000 as v) f
      ) x cross join lateral (values
        -- purchase: card -a, merchant +(a-f), commission +f, channel +c, channel_fees -c
        ('purchase', 'card:' || b.card || ':value', 'CNY', -b.a, b.card),
        ('purchase', 'merchant:' || b.merchant_id, 'CNY', b.a - x.f, null),
        ('purchase', 'revenue:merchant_commission', 'CNY', x.f, null),
        ('purchase', 'channel:' || b.channel_id, 'CNY', x.c, null),
        ('purchase', 'revenue:channel_fees', 'CNY', -x.c, null),
        -- void: the purchase negated except its channel fee
        ('void', 'card:' || b.card || ':value', 'CNY', b.a, b.card),
        ('void', 'merchant:' || b.merchant_id, 'CNY', -(b.a - x.f), null),
        ('void', 'revenue:merchant_commission', 'CNY', -x.f, null),
        -- reversal: the purchase negated, channel fee included
        ('reversal', 'card:' || b.card || ':value', 'CNY', b.a, b.card),
        ('reversal', 'merchant:' || b.merchant_id, 'CNY', -(b.a - x.f), null),
        ('reversal', 'revenue:merchant_commission', 'CNY', -x.f, null),
        ('reversal', 'channel:' || b.channel_id, 'CNY', -x.c, null),
        ('reversal', 'revenue:channel_fees', 'CNY', x.c, null),
        -- refund of a/4 (commission of a/4 at 150 bps), channel fee on the refunded amount
        ('refund', 'card:' || b.card || ':value', 'CNY', b.a / 4, b.card),
        ('refund', 'merchant:' || b.merchant_id, 'CNY', -(b.a / 4 - (b.a / 4 * 150 + 5000) / 10000), null),
        ('refund', 'revenue:merchant_commission', 'CNY', -((b.a / 4 * 150 + 5000) / 10000), null),
        ('refund', 'channel:' || b.channel_id, 'CNY', 1 + (b.a / 4 * 10 + 5000) / 10000, null),
        ('refund', 'revenue:channel_fees', 'CNY', -(1 + (b.a / 4 * 10 + 5000) / 10000), null),
        -- POS load / activation with value: card +a, merchant -a, channel fee
        ('load', 'card:' || b.card || ':value', 'CNY', b.a, b.card),
        ('load', 'merchant:' || b.merchant_id, 'CNY', -b.a, null),
        ('load', 'channel:' || b.channel_id, 'CNY', x.c, null),
        ('load', 'revenue:channel_fees', 'CNY', -x.c, null),
        ('activate', 'card:' || b.card || ':value', 'CNY', b.a, b.card),
        ('activate', 'merchant:' || b.merchant_id, 'CNY', -b.a, null),
        ('activate', 'channel:' || b.channel_id, 'CNY', x.c, null),
        ('activate', 'revenue:channel_fees', 'CNY', -x.c, null),
        -- points earn p: card +p, issued -p; merchant -r(1.2p), float +p, spread +(r(1.2p)-p); fixed channel fee
        ('points_earn', 'card:' || b.card || ':points:BENCH-PTS', 'PTS:BENCH-PTS', x.p, b.card),
        ('points_earn', 'scheme:' || b.scheme_id || ':issued', 'PTS:BENCH-PTS', -x.p, null),
        ('points_earn', 'merchant:' || b.merchant_id, 'CNY', -((x.p * 12000 + 5000) / 10000), null),
        ('points_earn', 'scheme:' || b.scheme_id || ':float', 'CNY', x.p, null),
        ('points_earn', 'revenue:points_spread', 'CNY', (x.p * 12000 + 5000) / 10000 - x.p, null),
        ('points_earn', 'channel:' || b.channel_id, 'CNY', 1, null),
        ('points_earn', 'revenue:channel_fees', 'CNY', -1, null),
        -- points redeem of p/2 points worth p/2 fen (the card holds none here: balances are not kept)
        ('points_redeem', 'card:' || b.card || ':points:BENCH-PTS', 'PTS:BENCH-PTS', -(x.p / 2), b.card),
        ('points_redeem', 'scheme:' || b.scheme_id || ':issued', 'PTS:BENCH-PTS', x.p / 2, null),
        ('points_redeem', 'scheme:' || b.scheme_id || ':float', 'CNY', -(x.p / 2), null),
        ('points_redeem', 'merchant:' || b.merchant_id, 'CNY', x.p / 2, null),
        ('points_redeem', 'channel:' || b.channel_id, 'CNY', 1, null),
        ('points_redeem', 'revenue:channel_fees', 'CNY', -1, null)
      ) as l(kind, account, asset, amount, card_id)
      where l.kind = b.kind and l.amount <> 0
    )
    insert into postings (entry_id, account, asset, amount, card_id, business_date, entry_kind, merchant_id, channel_id, scheme, reverses_kind)
    select id, account, asset, amount, card_id, $1::date, kind, merchant_id, channel_id,
           case when kind in ('points_earn', 'points_redeem') then 'BENCH-PTS' end, case when kind in ('void', 'reversal') then 'purchase' end
    from legs order by id`,
  [date, first, shape.cards]);
  await db.query(`select setval(pg_get_serial_sequence('entries', 'id'), (select max(id) from entries))`);
}
