-- The daemon's prefetch (purse_prefetch, as migration 000182 left it) does only the work a batch
-- needs: most batches are new purchases, loads and balance enquiries, with no stored row under
-- their keys and no points message, and for them the originals' lock, their cards, holds,
-- postings, linked earns and points state were a dozen queries over empty arrays on every batch.
-- The same answers; the lock queries are word for word those of 000140 (on Citus,
-- purse_citus_prefetch_locks rewrites them by their text).

create or replace function purse_prefetch(
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
  result := '[]'::json;

  if cardinality(txn_ids) > 0 then
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
  end if;

  -- The cards: by PAN token, the originals' cards, and the cards of points earned on originals
  -- (a void, reversal or refund of a purchase claws them back); locked in ascending id order, as
  -- every batch and job locks cards.
  select coalesce(json_agg(json_build_object('id', id, 'token', pan_token)), '[]'::json), array_agg(id)
  into tokens_json, card_ids
  from cards where pan_token = any(p_tokens);
  if cardinality(txn_ids) > 0 then
    select array_agg(distinct c order by c) into card_ids from (
      select unnest(card_ids) as c
      union all
      select card_id from transactions where id = any(txn_ids) and card_id is not null
      union all
      select card_id from transactions where original_id = any(txn_ids) and type = 'points_earn' and status = 'approved'
    ) x;
  end if;
  card_ids := coalesce(card_ids, '{}');
  select coalesce(json_agg(json_build_object(
      'id', c.id, 'program_id', c.program_id, 'status', c.status, 'expiry_date', c.expiry_date, 'pin_hmac', c.pin_hmac,
      'pin_tries', c.pin_tries,
      'needs_holder', c.holder_id is null and coalesce((select p.named from programs p where p.id = c.program_id), false)) order by c.id), '[]'::json)
  into cards_json
  from (select * from cards where id = any(card_ids) order by id for no key update) c;
  select coalesce(json_agg(json_build_object('card_id', a.card_id, 'asset', a.asset, 'balance', a.balance, 'held', a.held)
      order by a.card_id, a.asset), '[]'::json)
  into accounts_json
  from (select * from card_accounts where card_id = any(card_ids) order by card_id, asset for no key update) a;
  if cardinality(txn_ids) = 0 and cardinality(p_points_merchants) = 0 then
    -- No stored row under the batch's keys and no points message (new purchases, loads, balance
    -- enquiries: most batches): no original's holds, postings or linked earns to read.
    return json_build_object(
      'business_date', bd,
      'ids', (select coalesce(json_agg(nextval(txn_seq)), '[]'::json) from generate_series(1, p_new_ids)),
      'txns', result, 'tokens', tokens_json, 'cards', cards_json, 'accounts', accounts_json,
      'earns', '[]'::json, 'holds', '[]'::json, 'points', null, 'postings', '[]'::json);
  end if;
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
  'The daemon batch''s prefetch (design §2): business date lock, key claims (advisory locks), originals then cards locked, and all the decisions read, as JSON (cards with needs_holder, design §10).';
