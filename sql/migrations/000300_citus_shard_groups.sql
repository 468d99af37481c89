-- One shard group per card-writing transaction on Citus (design §9, issue 24): the daemon's batch
-- transaction commits in one phase. Citus 13.2 uses two-phase commit when a transaction modifies
-- rows over more than one worker connection, when one modifying statement runs on more than one
-- shard, and for every INSERT … SELECT whose rows pass through the coordinator (its COPY path, even
-- into one shard). So on Citus:
--   * transactions are distributed by id, co-located with cards (entries and postings already
--     are, by entry id): the daemon draws a batch's transaction and entry ids from their sequences
--     so that they hash into its cards' shard (purse_shard_ids), and a message's row, entries,
--     postings, holds and card rows are then one shard group;
--   * the (channel_id, request_id) unique key cannot be kept (it lacks the distribution column):
--     the key's claim stays the prefetch's advisory lock on the coordinator and its lookup reads
--     the keys' rows by the primary key (request_id, id) on each shard;
--   * the batch's write statements run as functions that issue single-row or multi-row VALUES
--     statements, each routed to the shard (purse_citus_post and the others below), and the UPDATEs
--     carry their ids as a routing predicate (src/daemon/shard-sql.ts).
-- A single server keeps its schema and statements: these functions exist there but are not called.

-- Ids that hash into one shard's range: `p_n` values of p_table's id sequence whose hashint8 (the
-- hash Citus places a bigint by, worker_hash) lies in [p_min, p_max]; every value when p_min is
-- null. About one value in 32 is kept with 32 shards: the sequence is bigint, the gaps cost nothing.
create function purse_shard_ids(p_table regclass, p_n int, p_min int, p_max int) returns bigint[]
language plpgsql as $$
declare
  seq regclass := pg_get_serial_sequence(p_table::text, 'id')::regclass;
  ids bigint[] := '{}';
  v bigint;
begin
  while cardinality(ids) < p_n loop
    v := nextval(seq);
    if p_min is null or hashint8(v) between p_min and p_max then
      ids := ids || v;
    end if;
  end loop;
  return ids;
end $$;
comment on function purse_shard_ids(regclass, int, int, int) is
  'Citus (design §9): p_n ids of the table''s id sequence whose hash (hashint8 = Citus''s worker_hash) is within [p_min, p_max], the range of the shard the batch writes; all values when p_min is null.';

-- Which shard group each card and stored row of a batch is in, before its transaction: the cards
-- of its PAN tokens (card_pan_tokens, read on the tokens' shards), the rows stored under its keys
-- (repeats, originals, markers: read by the primary key (request_id, id) on every shard), and for
-- every such card and row the shard of cards its id hashes into, with that shard's hash range.
-- Read only: the batch's transaction locks and re-reads what it decides over.
create function purse_citus_route(p_tokens bytea[], p_key_channels bigint[], p_key_requests text[]) returns json
language plpgsql as $$
declare
  tokens json;
  keyed json;
  ids bigint[];
begin
  select coalesce(json_agg(json_build_object('token', t.pan_token, 'card_id', t.card_id)), '[]'::json), array_agg(t.card_id)
  into tokens, ids
  from card_pan_tokens t where cardinality(p_tokens) > 0 and t.pan_token = any(p_tokens);
  select coalesce(json_agg(json_build_object('channel_id', t.channel_id, 'request_id', t.request_id, 'id', t.id, 'status', t.status)), '[]'::json),
         coalesce(ids, '{}') || coalesce(array_agg(t.id), '{}')
  into keyed, ids
  from transactions t join unnest(p_key_channels, p_key_requests) as k(channel_id, request_id)
    on t.channel_id = k.channel_id and t.request_id = k.request_id
  where cardinality(p_key_requests) > 0 and t.request_id = any(p_key_requests);
  return json_build_object(
    'tokens', tokens,
    'keyed', keyed,
    'shards', (select coalesce(json_agg(json_build_object('id', x.id, 'shard', s.shardid, 'min', s.shardminvalue::int, 'max', s.shardmaxvalue::int)), '[]'::json)
      from (select distinct unnest(ids) as id) x
      join pg_dist_shard s on s.logicalrelid = 'cards'::regclass and hashint8(x.id) between s.shardminvalue::int and s.shardmaxvalue::int),
    -- a shard for a batch none of whose messages names a known card or row
    'first', (select json_build_object('shard', s.shardid, 'min', s.shardminvalue::int, 'max', s.shardmaxvalue::int)
      from pg_dist_shard s where s.logicalrelid = 'cards'::regclass order by s.shardminvalue::int limit 1));
end $$;
comment on function purse_citus_route(bytea[], bigint[], text[]) is
  'Citus (design §9): the shard group of a batch''s cards (by PAN token) and stored rows (by key), with each shard''s hash range, so the daemon runs one transaction per shard group. Read only.';

-- Rows inserted with ONE multi-row INSERT … VALUES of literals: Citus routes it to the shard of
-- its rows (one task, one phase), where an INSERT … SELECT would pass through the coordinator's
-- COPY and commit in two phases. p_rows: a JSON array of objects whose keys are the columns, all
-- with the same keys in the same order. One statement, so postings' statement-level balance
-- trigger sees every posting of the entries inserted together.
create function purse_citus_insert_rows(p_table regclass, p_rows json) returns void
language plpgsql as $$
declare
  cols text;
  vals text;
begin
  if p_rows is null or json_array_length(p_rows) = 0 then
    return;
  end if;
  select string_agg(quote_ident(k), ', ' order by n) into cols from json_object_keys(p_rows -> 0) with ordinality as x(k, n);
  select string_agg('(' || (select string_agg(quote_nullable(v), ', ' order by n) from json_each_text(r) with ordinality as y(k, v, n)) || ')', ', ' order by rn)
  into vals
  from json_array_elements(p_rows) with ordinality as z(r, rn);
  execute format('insert into %s (%s) values %s', p_table, cols, vals);
end $$;
comment on function purse_citus_insert_rows(regclass, json) is
  'Citus (design §9): inserts the JSON rows with one INSERT … VALUES (routed to their shard, committed in one phase), not INSERT … SELECT (two-phase through the coordinator).';

-- The card accounts' part of a posting (src/ledger/post.ts card_updates/card_inserts), one routed
-- statement per (card, asset): an existing account is updated (its CHECK refuses a negative
-- balance), an account's first credit inserts it.
create function purse_citus_add_balances(p_cards bigint[], p_assets text[], p_amounts bigint[]) returns void
language plpgsql as $$
declare
  s record;
begin
  for s in
    select c.card_id, c.asset, sum(c.amount)::bigint as amount from unnest(p_cards, p_assets, p_amounts) as c(card_id, asset, amount)
    where c.card_id is not null group by c.card_id, c.asset order by c.card_id, c.asset
  loop
    update card_accounts set balance = balance + s.amount where card_id = s.card_id and asset = s.asset;
    if not found then
      insert into card_accounts as ca (card_id, asset, balance) values (s.card_id, s.asset, s.amount)
      on conflict (card_id, asset) do update set balance = ca.balance + excluded.balance;
    end if;
  end loop;
end $$;
comment on function purse_citus_add_balances(bigint[], text[], bigint[]) is
  'Citus (design §9): adds posted amounts to card_accounts, one routed statement per card and asset (as src/ledger/post.ts does set-based on a single server).';

-- The batch's posting (src/ledger/post.ts POST_SQL, same parameters) on Citus: the entries in one
-- INSERT … VALUES, their postings in one more (the balance trigger checks them together), then the
-- card accounts. Returns the entries' ids in order.
create function purse_citus_post(p_n int, p_kinds text[], p_dates date[], p_at timestamptz[], p_txns bigint[], p_merchants bigint[],
  p_channels bigint[], p_reverses bigint[], p_memos jsonb[], p_ords int[], p_accounts text[], p_assets text[], p_amounts bigint[],
  p_cards bigint[], p_ids bigint[]) returns setof bigint
language plpgsql as $$
declare
  ids bigint[];
begin
  select array_agg(coalesce(p_ids[o], nextval(pg_get_serial_sequence('entries', 'id')::regclass)) order by o) into ids
  from generate_series(1, p_n) as o;
  perform purse_citus_insert_rows('entries', (
    select json_agg(json_build_object('id', ids[x.ord], 'kind', x.kind, 'business_date', x.business_date, 'occurred_at', x.occurred_at,
      'transaction_id', x.transaction_id, 'merchant_id', x.merchant_id, 'channel_id', x.channel_id, 'reverses_entry_id', x.reverses_entry_id,
      'memo', x.memo) order by x.ord)
    from unnest(p_kinds, p_dates, p_at, p_txns, p_merchants, p_channels, p_reverses, p_memos)
      with ordinality as x(kind, business_date, occurred_at, transaction_id, merchant_id, channel_id, reverses_entry_id, memo, ord)));
  perform purse_citus_insert_rows('postings', (
    select json_agg(json_build_object('entry_id', ids[l.ord], 'account', l.account, 'asset', l.asset, 'amount', l.amount, 'card_id', l.card_id,
      'business_date', p_dates[l.ord], 'entry_kind', p_kinds[l.ord], 'merchant_id', p_merchants[l.ord], 'channel_id', p_channels[l.ord],
      'scheme', p_memos[l.ord] ->> 'scheme', 'reverses_kind', p_memos[l.ord] ->> 'reverses') order by l.n)
    from unnest(p_ords, p_accounts, p_assets, p_amounts, p_cards) with ordinality as l(ord, account, asset, amount, card_id, n)));
  perform purse_citus_add_balances(p_cards, p_assets, p_amounts);
  return query select unnest(ids);
end $$;
comment on function purse_citus_post(int, text[], date[], timestamptz[], bigint[], bigint[], bigint[], bigint[], jsonb[], int[], text[], text[], bigint[], bigint[], bigint[]) is
  'Citus (design §9): the daemon batch''s posting (POST_SQL''s parameters) as routed INSERT … VALUES statements and per-account updates: one shard group, one-phase commit.';

-- Holds placed (src/ledger/holds.ts PLACE_SQL, same parameters): one routed insert per hold, then
-- the card accounts' held amounts. Returns the new holds' ids in order.
create function purse_citus_place_holds(p_cards bigint[], p_assets text[], p_amounts bigint[], p_txns bigint[], p_expires timestamptz[]) returns setof bigint
language plpgsql as $$
declare
  r record;
  hid bigint;
begin
  for r in select * from unnest(p_cards, p_assets, p_amounts, p_txns, p_expires) with ordinality as x(card_id, asset, amount, transaction_id, expires_at, ord) order by ord loop
    insert into holds (card_id, asset, amount, remaining, transaction_id, expires_at)
    values (r.card_id, r.asset, r.amount, r.amount, r.transaction_id, r.expires_at) returning id into hid;
    return next hid;
  end loop;
  for r in select card_id, asset, sum(amount)::bigint as total from unnest(p_cards, p_assets, p_amounts) as x(card_id, asset, amount) group by card_id, asset order by card_id, asset loop
    update card_accounts set held = held + r.total where card_id = r.card_id and asset = r.asset;
  end loop;
end $$;
comment on function purse_citus_place_holds(bigint[], text[], bigint[], bigint[], timestamptz[]) is
  'Citus (design §9): PLACE_SQL as routed statements (a hold per insert, then card_accounts.held).';

-- Holds closed (src/ledger/holds.ts CLOSE_SQL, same parameters): the open ones among p_ids are read
-- (by id: every shard, a read), then each is closed and its remaining amount taken off its card
-- account's held, by routed statements. A hold no longer open is left alone.
create function purse_citus_close_holds(p_ids bigint[], p_statuses text[], p_at timestamptz) returns void
language plpgsql as $$
declare
  ids bigint[];
  cards bigint[];
  assets text[];
  remains bigint[];
  i int;
  hold bigint;
  card bigint;
  st text;
  released bigint;
  hold_asset text;
begin
  -- Read first, then write: a loop over a distributed query's cursor while the loop's own
  -- statements run on the same shards' connections is not something to ask of Citus. Each routed
  -- statement takes plain variables: an array subscript in an UPDATE's SET list crashes Citus
  -- 13.2's coordinator (signal 11, seen on the local cluster).
  select array_agg(h.id order by h.id), array_agg(h.card_id order by h.id), array_agg(h.asset order by h.id), array_agg(h.remaining order by h.id)
  into ids, cards, assets, remains
  from holds h where cardinality(p_ids) > 0 and h.id = any(p_ids) and h.status = 'open';
  for i in 1 .. coalesce(cardinality(ids), 0) loop
    hold := ids[i];
    card := cards[i];
    st := p_statuses[array_position(p_ids, hold)];
    released := remains[i];
    hold_asset := assets[i];
    update holds h set status = st, remaining = 0, closed_at = p_at where h.card_id = card and h.id = hold and h.status = 'open';
    if found then
      update card_accounts a set held = a.held - released where a.card_id = card and a.asset = hold_asset;
    end if;
  end loop;
end $$;
comment on function purse_citus_close_holds(bigint[], text[], timestamptz) is
  'Citus (design §9): CLOSE_SQL''s effect as routed statements (each open hold closed on its card''s shard, then card_accounts.held); returns nothing (the batch does not read CLOSE_SQL''s rows).';

-- Points bookkeeping (src/points/effects-sql.ts) whose single-server statement is a modifying CTE
-- feeding an INSERT … SELECT: the same effect as routed statements, same parameters.
create function purse_citus_points_credit_lot(p_card bigint, p_scheme bigint, p_points bigint, p_expires timestamptz, p_entry bigint) returns void
language plpgsql as $$
declare
  lot bigint;
begin
  insert into points_lots (card_id, scheme_id, points, remaining, expires_at, source_entry_id)
  values (p_card, p_scheme, p_points, p_points, p_expires, p_entry) returning id into lot;
  insert into points_lot_moves (card_id, lot_id, entry_id, points) values (p_card, lot, p_entry, p_points);
end $$;
comment on function purse_citus_points_credit_lot(bigint, bigint, bigint, timestamptz, bigint) is
  'Citus (design §9): purse_points_credit_lot''s effect as routed statements.';

create function purse_citus_points_debit_lots(p_card bigint, p_scheme bigint, p_points bigint, p_at timestamptz, p_prefer bigint[], p_entry bigint) returns void
language plpgsql as $$
declare
  lots bigint[];
  remains bigint[];
  left_ bigint := p_points;
  lot bigint;
  take bigint;
  i int;
begin
  -- The lots locked and read first, then written (see purse_citus_close_holds).
  select array_agg(l.id order by l.n), array_agg(l.remaining order by l.n) into lots, remains
  from (
    select id, remaining, row_number() over (order by source_entry_id = any(p_prefer) desc, expires_at asc nulls last, id) as n
    from (select id, remaining, source_entry_id, expires_at from points_lots
          where card_id = p_card and scheme_id = p_scheme and remaining > 0 and (p_at is null or expires_at is null or expires_at > p_at)
          for update) locked
  ) l;
  for i in 1 .. coalesce(cardinality(lots), 0) loop
    exit when left_ <= 0;
    lot := lots[i];
    take := least(remains[i], left_);
    update points_lots set remaining = remaining - take where card_id = p_card and id = lot;
    insert into points_lot_moves (card_id, lot_id, entry_id, points) values (p_card, lot, p_entry, -take);
    left_ := left_ - take;
  end loop;
  perform purse_assert(left_ = 0, 'points_lots_short',
    'card ' || p_card || ' scheme ' || p_scheme || ': the lots hold less than the ' || p_points || ' points to debit');
end $$;
comment on function purse_citus_points_debit_lots(bigint, bigint, bigint, timestamptz, bigint[], bigint) is
  'Citus (design §9): purse_points_debit_lots''s effect (lots oldest first, preferred sources first) as routed statements.';

create function purse_citus_points_restore_lot(p_card bigint, p_lot bigint, p_points bigint, p_entry bigint) returns void
language plpgsql as $$
begin
  update points_lots set remaining = remaining + p_points where card_id = p_card and id = p_lot;
  insert into points_lot_moves (card_id, lot_id, entry_id, points) values (p_card, p_lot, p_entry, p_points);
end $$;
comment on function purse_citus_points_restore_lot(bigint, bigint, bigint, bigint) is
  'Citus (design §9): purse_points_restore_lot''s effect as routed statements.';

-- The Citus step places transactions by id, co-located with cards (000230's placement by request_id
-- rewritten by its text, as 000242 rewrites the prefetch), and load_references, which was
-- co-located with transactions, keeps its own 32 shards by reference. A database placed before
-- this migration fails the step with a message saying so (see below).
create function purse_citus_transactions_by_id() returns void language plpgsql as $$
declare
  fn oid;
  src text;
  out text;
  swaps text[] := array[
    E'    execute ''alter table transactions drop constraint transactions_pkey'';',
    E'    execute ''alter table transactions drop constraint if exists transactions_channel_id_request_id_key'';\n'
    || E'    execute ''alter table transactions drop constraint transactions_pkey'';',
    E'    perform create_distributed_table(''transactions'', ''request_id'', shard_count => 32);',
    E'    perform create_distributed_table(''transactions'', ''id'', colocate_with => ''cards'');',
    E'    perform create_distributed_table(''load_references'', ''reference'', colocate_with => ''transactions'');',
    E'    perform create_distributed_table(''load_references'', ''reference'', shard_count => 32);'];
  i int;
begin
  select p.oid into fn from pg_proc p where p.proname = 'purse_citus_place_tables';
  src := pg_get_functiondef(fn);
  out := src;
  for i in 1 .. array_length(swaps, 1) by 2 loop
    continue when position(swaps[i + 1] in out) > 0;
    if position(swaps[i] in out) = 0 then
      raise exception 'purse_citus_place_tables no longer contains "%"; update migration 000300', swaps[i];
    end if;
    out := replace(out, swaps[i], swaps[i + 1]);
  end loop;
  if out <> src then
    execute out;
  end if;
  if exists (select 1 from pg_dist_partition d where d.logicalrelid = 'transactions'::regclass
             and column_to_column_name(d.logicalrelid, d.partkey) = 'request_id') then
    -- Citus redistributes no table with an identity column (alter_distributed_table: "cannot
    -- complete operation on a table with identity column"), and drops no identity on a distributed
    -- table; rebuilding the table would drop the functions typed by its rows. Said loudly instead.
    raise exception 'transactions is distributed by request_id (placed before migration 000300) and Citus cannot redistribute it by id (an identity column): migrate a new database and copy the data into it';
  end if;
end $$;
comment on function purse_citus_transactions_by_id() is
  'Citus step (migration 000300): transactions placed by id in the cards'' co-location group (rewrites purse_citus_place_tables); raises on a database whose transactions were placed by request_id before.';

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
  -- Before the tables are placed: a new database's transactions are then placed by id directly.
  perform purse_citus_transactions_by_id();
  placed := placed || purse_citus_place_tables();
  -- After 000231's rewrite of the prefetch's row locks (purse_citus_place_tables runs it).
  perform purse_citus_prefetch_routes();
  return placed;
end $$;
comment on function purse_citus_distribute() is
  'Citus step of `purse db migrate` (design §9): the PAN token table (migration 000241), transactions placed by id with the cards (000300), purse_citus_place_tables(), then the prefetch''s routed lookups (000242); a no-op without the citus extension. Returns the tables it placed.';
