-- Design §2 "One authorization pipeline": every micro-batch of the daemon runs prefetch → decide →
-- write. This function is the prefetch, in ONE round trip whatever the batch holds: it takes the
-- business date's shared lock, claims the idempotency keys, locks the originals and then the cards
-- in one fixed order, and returns, as one JSON document, everything the (pure, TypeScript)
-- decisions read.
--
-- Keys are claimed by a transaction-scoped advisory lock per (channel, request_id), taken in
-- ascending order (so two batches never deadlock on them) BEFORE any row lock: a batch holding a
-- key's lock is the only writer of that key until it commits, so its row can be inserted once,
-- complete, by the write step (no 'pending' row completed by an UPDATE), and a key already taken
-- is simply read back here: a repeat, or a marker a reversal left. A batch naming an original that
-- another batch is writing waits for that batch's commit and then sees the row.
--
-- The statements look rows up by primary key or unique index over arrays. The function runs with
-- a generic plan and sequential scans disabled, so its plans never depend on table statistics:
-- they stay right on a table that just grew by a million rows and has not been analyzed.
-- What the points types' decisions read (src/points/view.ts), for the merchants and cards of a
-- batch's points messages: every scheme (a short registry table), the schemes each merchant
-- accepts (its earn scheme, merchant_schemes, its alliances'), the exchange rates in force at p_at,
-- the games named with their prizes (the stocked ones locked: a draw takes from their stock), and
-- the cards' lots still holding points. The callers hold the cards' account locks. Also what the
-- points domain's own functions load for one request (purse points CLI, tests).
create function purse_points_state(p_at timestamptz, p_merchants bigint[], p_cards bigint[], p_games text[], p_txns bigint[]) returns json
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
declare
  points_entries bigint[];
begin
  select array_agg(id order by id) into points_entries from entries
  where transaction_id = any(p_txns)
    and kind in ('points_earn', 'points_redeem', 'points_load', 'points_exchange', 'points_clawback', 'lottery', 'lottery_prize');
  points_entries := coalesce(points_entries, '{}');
  return json_build_object(
    'schemes', (select coalesce(json_agg(json_build_object('id', id, 'code', code, 'currency', currency, 'issue_price', issue_price,
        'redemption_value', redemption_value, 'sale_price', sale_price, 'validity_months', validity_months) order by id), '[]'::json) from schemes),
    'programs', (select coalesce(json_agg(json_build_object('card_id', c.id, 'kind', p.kind, 'scheme_id', p.scheme_id)), '[]'::json)
      from cards c join programs p on p.id = c.program_id where c.id = any(p_cards)),
    'accepts', (select coalesce(json_agg(json_build_object('merchant_id', a.merchant_id, 'scheme_id', a.scheme_id)), '[]'::json) from (
        select id as merchant_id, earn_scheme_id as scheme_id from merchants where id = any(p_merchants) and earn_scheme_id is not null
        union select merchant_id, scheme_id from merchant_schemes where merchant_id = any(p_merchants)
        union select x.merchant_id, a.scheme_id from merchant_alliances x join alliances a on a.id = x.alliance_id where x.merchant_id = any(p_merchants)) a),
    'earn_rules', (select coalesce(json_agg(json_build_object('merchant_id', id, 'scheme_id', earn_scheme_id, 'rate', earn_rate, 'cap', earn_cap)), '[]'::json)
      from merchants where id = any(p_merchants) and earn_scheme_id is not null and earn_rate is not null),
    'rates', (select coalesce(json_agg(json_build_object('id', r.id, 'from', r.from_scheme_id, 'to', r.to_scheme_id, 'rate_micro', r.rate_micro,
        'effective_at', r.effective_at)), '[]'::json)
      from (select distinct on (from_scheme_id, to_scheme_id) id, from_scheme_id, to_scheme_id, rate_micro, effective_at from exchange_rates
            where effective_at <= p_at order by from_scheme_id, to_scheme_id, effective_at desc) r),
    'games', (select coalesce(json_agg(json_build_object('id', g.id, 'code', g.code, 'scheme_id', g.scheme_id, 'cost_points', g.cost_points, 'active', g.active,
        'prizes', (select coalesce(json_agg(json_build_object('id', z.id, 'ordinal', z.ordinal, 'code', z.code, 'name', z.name, 'kind', z.kind,
            'points', z.points, 'goods_value', z.goods_value, 'merchant_id', z.merchant_id, 'weight_ppm', z.weight_ppm, 'stock', z.stock,
            'initial_stock', z.initial_stock, 'fallback_ordinal', z.fallback_ordinal) order by z.ordinal), '[]'::json)
          from lottery_prizes z where z.game_id = g.id))), '[]'::json)
      from lottery_games g where g.code = any(p_games)),
    'locked_prizes', (select count(*) from (select 1 from lottery_prizes z join lottery_games g on g.id = z.game_id
        where g.code = any(p_games) and z.stock is not null order by z.id for no key update of z) l),
    'lots', (select coalesce(json_agg(json_build_object('card_id', card_id, 'scheme_id', scheme_id, 'remaining', remaining, 'expires_at', expires_at)
        order by card_id, id), '[]'::json)
      from points_lots where card_id = any(p_cards) and remaining > 0),
    'balances', (select coalesce(json_agg(json_build_object('card_id', card_id, 'asset', asset, 'balance', balance)), '[]'::json)
      from card_accounts where card_id = any(p_cards) and asset like 'PTS:%'),
    -- The points entries of the transactions named (originals a void, reversal or refund undoes,
    -- earns a claw-back takes back), their legs and lot moves, and their draws and claw-backs (locked).
    'entries', (select coalesce(json_agg(json_build_object('id', id, 'kind', kind, 'merchant_id', merchant_id, 'channel_id', channel_id, 'memo', memo,
        'transaction_id', transaction_id) order by id), '[]'::json) from entries where id = any(points_entries)),
    'legs', (select coalesce(json_agg(json_build_object('entry_id', entry_id, 'account', account, 'asset', asset, 'amount', amount)
        order by entry_id, account, asset), '[]'::json) from postings where entry_id = any(points_entries)),
    'lot_moves', (select coalesce(json_agg(json_build_object('card_id', m.card_id, 'entry_id', m.entry_id, 'lot_id', m.lot_id, 'scheme_id', m.scheme_id,
        'points', m.points) order by m.card_id, m.entry_id, m.lot_id), '[]'::json)
      from (select m.card_id, m.entry_id, m.lot_id, l.scheme_id, sum(m.points)::bigint as points
            from points_lot_moves m join points_lots l on l.card_id = m.card_id and l.id = m.lot_id
            where (m.card_id, m.entry_id) in (select distinct card_id, entry_id from postings where entry_id = any(points_entries) and card_id is not null)
            group by m.card_id, m.entry_id, m.lot_id, l.scheme_id having sum(m.points) <> 0) m),
    'draws', (select coalesce(json_agg(json_build_object('card_id', card_id, 'id', id, 'prize_id', prize_id, 'entry_id', entry_id,
        'prize_entry_id', prize_entry_id, 'reversed', reversed, 'transaction_id', transaction_id) order by card_id, id), '[]'::json)
      from (select * from lottery_draws where transaction_id = any(p_txns) order by card_id, id for update) d),
    'clawbacks', (select coalesce(json_agg(json_build_object('card_id', card_id, 'id', id, 'transaction_id', transaction_id) order by card_id, id), '[]'::json)
      from (select * from points_clawbacks where transaction_id = any(p_txns) and not reversed order by card_id, id for update) c),
    'clawback_states', (select coalesce(json_agg(json_build_object('card_id', c.card_id, 'earn_entry_id', c.earn_entry_id, 'returned', c.returned,
        'clawed', c.clawed)), '[]'::json)
      from (select card_id, earn_entry_id, sum(returned_amount)::bigint as returned, sum(points_clawed)::bigint as clawed from points_clawbacks
            where (card_id, earn_entry_id) in (select card_id, entry_id from postings where entry_id = any(points_entries) and card_id is not null)
              and not reversed group by card_id, earn_entry_id) c),
    'undone', (select coalesce(json_agg(distinct reverses_entry_id), '[]'::json) from entries
      where reverses_entry_id = any(points_entries) and kind in ('void', 'reversal'))
  );
end $$;

comment on function purse_points_state(timestamptz, bigint[], bigint[], text[], bigint[]) is
  'What the points types decide over (src/points/view.ts): schemes, merchants'' accepted schemes and earn rules, rates in force, games, the cards'' lots.';

create function purse_prefetch(
  p_calendar_date date,
  p_key_channels bigint[],       -- every key of the batch: its messages' own keys, then the originals they name
  p_key_requests text[],
  p_reversal_keys int[],         -- 1-based positions in the key arrays of originals named by a reversal
  p_tokens bytea[],              -- PAN tokens of the card-bearing messages
  p_new_ids int,                 -- transaction ids to take from the sequence (own rows and markers)
  p_at timestamptz,              -- the batch's time (rates in force)
  p_points_merchants bigint[],   -- merchants of the points messages (none: no points state is read)
  p_points_tokens bytea[],       -- PAN tokens of the points messages
  p_games text[]                 -- games the lottery messages name
) returns json
language plpgsql
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
  bd date;
  txn_seq regclass := pg_get_serial_sequence('transactions', 'id')::regclass;
  txn_ids bigint[];
  card_ids bigint[];
  hold_ids bigint[];
  entry_ids bigint[];
  result json;
  cards_json json;
  accounts_json json;
  tokens_json json;
begin
  bd := open_business_date(p_calendar_date);

  perform pg_advisory_xact_lock(k.key)
  from (select distinct hashtextextended(c::text || ':' || r, 7219) as key
        from unnest(p_key_channels, p_key_requests) as x(c, r)) k
  order by k.key;

  -- Rows stored under the keys (repeats, originals, markers) and, for refunds among them, the
  -- purchase they refund (undoing a refund gives its amount back to it): locked in id order.
  with keyed as (
    select t.id, t.original_id, t.type from transactions t
    join unnest(p_key_channels, p_key_requests) as k(channel_id, request_id)
      on t.channel_id = k.channel_id and t.request_id = k.request_id
  ), wanted as (
    select id from keyed
    union
    select original_id from keyed where type = 'refund' and original_id is not null
  )
  select array_agg(id order by id) into txn_ids from wanted;
  txn_ids := coalesce(txn_ids, '{}');

  with locked as (
    select t.* from transactions t where t.id = any(txn_ids) order by t.id for no key update
  )
  select
    coalesce(json_agg(json_build_object(
      'id', l.id, 'channel_id', l.channel_id, 'request_id', l.request_id, 'type', l.type, 'card_id', l.card_id,
      'merchant_id', l.merchant_id, 'terminal_id', l.terminal_id, 'asset', l.asset, 'amount_requested', l.amount_requested,
      'amount_approved', l.amount_approved, 'approved', l.approved, 'response_code', l.response_code,
      'business_date', l.business_date, 'original_id', l.original_id, 'entry_id', l.entry_id, 'hold_id', l.hold_id,
      'status', l.status, 'commission', l.commission, 'channel_fee', l.channel_fee, 'refunded_amount', l.refunded_amount,
      'body_hash', l.body_hash, 'response', l.response,
      'commission_bps', (select m.commission_bps from merchants m where m.id = l.merchant_id),
      'date_open', case when l.business_date is distinct from bd and exists (
          select 1 from unnest(p_reversal_keys) as rk(n)
          where p_key_channels[rk.n] = l.channel_id and p_key_requests[rk.n] = l.request_id)
        then lock_business_date_if_open(l.business_date) end
    ) order by l.id), '[]'::json)
  into result
  from locked l;

  -- The cards: by PAN token, the originals' cards, and the cards of points earned on originals
  -- (a void, reversal or refund of a purchase claws them back); locked in ascending id order, as
  -- every batch and job locks cards.
  select coalesce(json_agg(json_build_object('id', id, 'token', pan_token)), '[]'::json), array_agg(id)
  into tokens_json, card_ids
  from cards where pan_token = any(p_tokens);
  select array_agg(distinct c order by c) into card_ids from (
    select unnest(card_ids) as c
    union all
    select card_id from transactions where id = any(txn_ids) and card_id is not null
    union all
    select card_id from transactions where original_id = any(txn_ids) and type = 'points_earn' and status = 'approved'
  ) x;
  card_ids := coalesce(card_ids, '{}');
  select coalesce(json_agg(json_build_object(
      'id', c.id, 'program_id', c.program_id, 'status', c.status, 'expiry_date', c.expiry_date, 'pin_hmac', c.pin_hmac,
      'pin_tries', c.pin_tries, 'last_activity_at', c.last_activity_at) order by c.id), '[]'::json)
  into cards_json
  from (select * from cards where id = any(card_ids) order by id for no key update) c;
  select coalesce(json_agg(json_build_object('card_id', a.card_id, 'asset', a.asset, 'balance', a.balance, 'held', a.held)
      order by a.card_id, a.asset), '[]'::json)
  into accounts_json
  from (select * from card_accounts where card_id = any(card_ids) order by card_id, asset for no key update) a;
  select array_agg(hold_id) into hold_ids from transactions where id = any(txn_ids) and hold_id is not null;
  select array_agg(entry_id) into entry_ids from transactions where id = any(txn_ids) and entry_id is not null;

  return json_build_object(
    'business_date', bd,
    'ids', (select coalesce(json_agg(nextval(txn_seq)), '[]'::json) from generate_series(1, p_new_ids)),
    'txns', result,
    'tokens', tokens_json,
    'cards', cards_json,
    'accounts', accounts_json,
    'earns', (select coalesce(json_agg(json_build_object('id', id, 'original_id', original_id, 'card_id', card_id, 'amount', amount_requested) order by id), '[]'::json)
      from transactions where original_id = any(txn_ids) and type = 'points_earn' and status = 'approved'),
    'holds', (select coalesce(json_agg(json_build_object(
        'id', h.id, 'card_id', h.card_id, 'asset', h.asset, 'amount', h.amount, 'remaining', h.remaining, 'expires_at', h.expires_at, 'status', h.status)), '[]'::json)
      from holds h where h.id = any(coalesce(hold_ids, '{}'))),
    'points', case when cardinality(p_points_merchants) > 0 or cardinality(txn_ids) > 0 then purse_points_state(p_at, p_points_merchants,
        (select array_agg(c.id) from cards c where c.pan_token = any(p_points_tokens)), p_games,
        txn_ids || coalesce((select array_agg(id) from transactions where original_id = any(txn_ids) and type = 'points_earn' and status = 'approved'), '{}')) end,
    'postings', (select coalesce(json_agg(json_build_object('entry_id', p.entry_id, 'account', p.account, 'asset', p.asset, 'amount', p.amount)
        order by p.entry_id, p.account, p.asset), '[]'::json)
      from postings p where p.entry_id = any(coalesce(entry_ids, '{}')))
  );
end $$;

comment on function purse_prefetch(date, bigint[], text[], int[], bytea[], int, timestamptz, bigint[], bytea[], text[]) is
  'The daemon batch''s prefetch (design §2): business date lock, key claims (advisory locks), originals then cards locked, and all the decisions read, as JSON.';

-- The one-round-trip path that checked remembered card states (migration 000110) is gone.
drop function purse_expect(boolean, text);
