-- The daemon's prefetch on Citus reads by distribution columns (design §9: "messages naming an
-- original find it without a cross-shard scan"). Migration 000231 made its row locks single-shard;
-- its lookups still asked every shard of a table: the stored rows under the batch's keys
-- (transactions joined with the keys: not pruned, all 32 shards), the cards by PAN token (cards are
-- placed by id), the keyed rows' cards, holds and entries (transactions again, by id). On Citus,
-- purse_citus_prefetch_routes() (called by the Citus step after 000231's rewrite) rewrites them:
--   * the keyed rows are looked up with `request_id = any(keys)`, which Citus prunes to the shards
--     of the batch's keys (each key is read on its own shard);
--   * a PAN token (also a points message's) is resolved through card_pan_tokens (migration 000241,
--     placed by the token), then the cards by id;
--   * the keyed rows are locked after a lookup on their keys' shards (purse_citus_lock_keyed_txns);
--   * the cards, holds and entries of the locked rows are taken from those rows (already read and
--     locked) instead of a second read of transactions; holds are read on their cards' shards.
--   * a lookup over an empty array (`x = any('{}')`, which Citus sends to every shard) is guarded by
--     `cardinality(x) > 0`: a constant false then, which Citus answers from one shard.
-- Still read on every shard: points earned on an original (by original_id, when the batch names
-- originals or repeats), a refund's purchase when the refund is undone (by id), and the points
-- state's reads (purse_points_state) when the batch has points messages or originals.
-- A single server keeps migration 000182's function as it is. If the prefetch ever stops
-- containing one of these queries, `purse db migrate` on Citus fails loudly.

-- The keyed rows locked on their keys' shards: 000231's purse_citus_lock_txns reads the rows' keys by
-- id, which asks every shard (transactions are placed by request_id). Rows named only by id (the
-- purchase of a refund being undone) are still looked up by id, on every shard.
create function purse_citus_lock_keyed_txns(p_ids bigint[], p_requests text[]) returns setof transactions language plpgsql as $$
declare
  ids bigint[];
  reqs text[];
  rest bigint[];
  more_ids bigint[];
  more_reqs text[];
  r record;
begin
  select coalesce(array_agg(id), '{}'), coalesce(array_agg(request_id), '{}') into ids, reqs
  from transactions where request_id = any(p_requests) and id = any(p_ids);
  rest := array(select x from unnest(p_ids) x where x <> all(ids));
  if cardinality(rest) > 0 then
    select coalesce(array_agg(id), '{}'), coalesce(array_agg(request_id), '{}') into more_ids, more_reqs
    from transactions where id = any(rest);
    ids := ids || more_ids;
    reqs := reqs || more_reqs;
  end if;
  for r in select k.id, k.request_id from unnest(ids, reqs) as k(id, request_id) order by k.id loop
    return query select * from transactions t where t.request_id = r.request_id and t.id = r.id for no key update;
  end loop;
end $$;
comment on function purse_citus_lock_keyed_txns(bigint[], text[]) is 'Citus: locks (FOR NO KEY UPDATE) and returns the transactions rows with these ids, in id order, one single-shard query per row; rows stored under the given request ids are found on those keys'' shards.';

create function purse_citus_prefetch_routes() returns boolean language plpgsql as $$
declare
  fn oid;
  src text;
  out text;
  -- (query as migration 000182 writes it, its Citus replacement)
  swaps text[] := array[
    -- The points state and the new ids are computed before the final query, by statements of their
    -- own: once that query's lookups are each routed to one shard, Citus may run the whole of it on a
    -- worker, where purse_points_state (distributed queries) is refused and nextval would draw from
    -- the worker's range.
    E'  tokens_json json;\nbegin',
    E'  tokens_json json;\n  points_cards bigint[];\n  points_earns bigint[];\n  points_json json;\n  ids_json json;\nbegin',
    E'  return json_build_object(\n    ''business_date'', bd,\n    ''ids'', (select coalesce(json_agg(nextval(txn_seq)), ''[]''::json) from generate_series(1, p_new_ids)),',
    E'  select array_agg(t.card_id) into points_cards from card_pan_tokens t where cardinality(p_points_tokens) > 0 and t.pan_token = any(p_points_tokens);\n'
    || E'  select array_agg(id) into points_earns from transactions\n'
    || E'  where cardinality(txn_ids) > 0 and original_id = any(txn_ids) and type = ''points_earn'' and status = ''approved'';\n'
    || E'  if cardinality(p_points_merchants) > 0 or cardinality(txn_ids) > 0 then\n'
    || E'    points_json := purse_points_state(p_at, p_points_merchants, points_cards, p_games, txn_ids || coalesce(points_earns, ''{}''));\n'
    || E'  end if;\n'
    || E'  select coalesce(json_agg(nextval(txn_seq)), ''[]''::json) into ids_json from generate_series(1, p_new_ids);\n'
    || E'  return json_build_object(\n    ''business_date'', bd,\n    ''ids'', ids_json,',
    E'    ''points'', case when cardinality(p_points_merchants) > 0 or cardinality(txn_ids) > 0 then purse_points_state(p_at, p_points_merchants,\n'
    || E'        (select array_agg(c.id) from cards c where c.pan_token = any(p_points_tokens)), p_games,\n'
    || E'        txn_ids || coalesce((select array_agg(id) from transactions where original_id = any(txn_ids) and type = ''points_earn'' and status = ''approved''), ''{}'')) end,',
    E'    ''points'', points_json,',
    E'      on t.channel_id = k.channel_id and t.request_id = k.request_id\n  ), wanted as (',
    E'      on t.channel_id = k.channel_id and t.request_id = k.request_id\n    where t.request_id = any(p_key_requests)\n  ), wanted as (',
    E'  select coalesce(json_agg(json_build_object(''id'', id, ''token'', pan_token)), ''[]''::json), array_agg(id)\n  into tokens_json, card_ids\n  from cards where pan_token = any(p_tokens);',
    E'  select array_agg(t.card_id) into card_ids from card_pan_tokens t where cardinality(p_tokens) > 0 and t.pan_token = any(p_tokens);\n'
    || E'  select coalesce(json_agg(json_build_object(''id'', id, ''token'', pan_token)), ''[]''::json), array_agg(id)\n  into tokens_json, card_ids\n'
    || E'  from cards where cardinality(coalesce(card_ids, ''{}'')) > 0 and id = any(coalesce(card_ids, ''{}'')) and pan_token = any(p_tokens);',
    'select card_id from transactions where id = any(txn_ids) and card_id is not null',
    $s$select (j->>'card_id')::bigint from json_array_elements(result) j where j->>'card_id' is not null$s$,
    'select array_agg(hold_id) into hold_ids from transactions where id = any(txn_ids) and hold_id is not null;',
    $s$select array_agg((j->>'hold_id')::bigint) into hold_ids from json_array_elements(result) j where j->>'hold_id' is not null;$s$,
    'select array_agg(entry_id) into entry_ids from transactions where id = any(txn_ids) and entry_id is not null;',
    $s$select array_agg((j->>'entry_id')::bigint) into entry_ids from json_array_elements(result) j where j->>'entry_id' is not null;$s$,
    $s$from holds h where h.id = any(coalesce(hold_ids, '{}'))),$s$,
    $s$from holds h where cardinality(coalesce(hold_ids, '{}')) > 0 and h.card_id = any(card_ids) and h.id = any(coalesce(hold_ids, '{}'))),$s$,
    $s$from postings p where p.entry_id = any(coalesce(entry_ids, '{}')))$s$,
    $s$from postings p where cardinality(coalesce(entry_ids, '{}')) > 0 and p.entry_id = any(coalesce(entry_ids, '{}')))$s$,
    'from transactions where original_id = any(txn_ids)',
    'from transactions where cardinality(txn_ids) > 0 and original_id = any(txn_ids)',
    'select t.* from purse_citus_lock_txns(txn_ids) t',
    -- (000231's text stays in a comment: its step, run again by every migrate, finds it and leaves the query alone)
    'select t.* from purse_citus_lock_keyed_txns(txn_ids, p_key_requests) t /* in place of 000231''s select t.* from purse_citus_lock_txns(txn_ids) t */'];
  i int;
begin
  if not exists (select 1 from pg_extension where extname = 'citus') or to_regclass('card_pan_tokens') is null then
    return false;
  end if;
  select p.oid into fn from pg_proc p where p.proname = 'purse_prefetch';
  src := pg_get_functiondef(fn);
  out := src;
  for i in 1 .. array_length(swaps, 1) by 2 loop
    continue when position(swaps[i + 1] in out) > 0;
    if position(swaps[i] in out) = 0 then
      raise exception 'purse_prefetch no longer contains "%"; update migration 000242 for Citus', swaps[i];
    end if;
    out := replace(out, swaps[i], swaps[i + 1]);
  end loop;
  if out <> src then
    execute out;
  end if;
  return true;
end $$;
comment on function purse_citus_prefetch_routes() is 'Citus step: rewrites the lookups of purse_prefetch to read by distribution columns (keys by request_id, PAN tokens through card_pan_tokens, the locked rows'' cards, holds and entries from those rows); raises when the prefetch no longer has a query it expects. No-op without citus.';

create or replace function purse_citus_distribute() returns text[] language plpgsql as $$
declare
  placed text[] := '{}';
begin
  if not exists (select 1 from pg_extension where extname = 'citus') then
    return placed;
  end if;
  -- One connection per node for the whole step, as purse_citus_place_tables() needs (it sets the same).
  perform set_config('citus.multi_shard_modify_mode', 'sequential', true);
  if to_regclass('card_pan_tokens') is null then
    create table card_pan_tokens (
      pan_token bytea primary key,
      card_id bigint not null
    );
    comment on table card_pan_tokens is
      'Citus only (design §9): one row per card, keyed by its PAN token (HMAC) and distributed by it, so that no two cards share a PAN; written by issuance with the card.';
    perform create_distributed_table('card_pan_tokens', 'pan_token', shard_count => 32);
    -- The cards issued before: a PAN two of them share fails this step loudly.
    insert into card_pan_tokens (pan_token, card_id) select pan_token, id from cards;
    placed := placed || 'card_pan_tokens'::text;
  end if;
  placed := placed || purse_citus_place_tables();
  -- After 000231's rewrite of the prefetch's row locks (purse_citus_place_tables runs it).
  perform purse_citus_prefetch_routes();
  return placed;
end $$;
comment on function purse_citus_distribute() is
  'Citus step of `purse db migrate` (design §9): the PAN token table (migration 000241), purse_citus_place_tables(), then the prefetch''s routed lookups (000242); a no-op without the citus extension. Returns the tables it placed.';
