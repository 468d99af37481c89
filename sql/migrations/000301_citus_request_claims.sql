-- The idempotency claim on Citus (design §9, issue 24). Since migration 000300 a message's row is
-- placed by its id in its card's shard group, so the (channel_id, request_id) key cannot be unique
-- there. The Citus step creates request_claims, distributed by request_id: the key's claim, in a
-- single-shard transaction of its own before the card's transaction, holding the id reserved for
-- the message's row:
--   * a new key is claimed 'pending' with an id drawn into the card's shard range; the card's
--     transaction then inserts the row under exactly that id, and marks the claim 'done' after its
--     COMMIT (in the same message, in a transaction of its own: the claim is another shard group);
--   * an existing key whose row exists is a repeat (its row holds the stored answer; another body
--     is a 409) — 'pending' with the row present is done too (the marking is only bookkeeping);
--   * a pending claim whose row does not exist is a message in flight, or one whose daemon died
--     between the claim and the card's transaction: older than the timeout, it is taken over by a
--     compare-and-set on claimed_at, KEEPING its reserved id. Exactly once: should the first owner
--     still commit, the two card transactions insert the same primary key (request_id, id) and the
--     slower one fails whole (nothing posted), to find the row and its answer when retried;
--   * a reversal whose original is unknown claims the original's key as a 'marker' with an id in
--     the reversal's shard group (the marker row is written by the reversal's transaction); the late
--     original finds the marker through its claim and adopts the row (declined 94).
-- Messages naming an original find it through its claim (one shard) and then by id (one shard).
-- A single server keeps the unique key of transactions and never creates this table.

-- The claims' transaction ids under the keys (the prefetch's lookup of stored rows on Citus: each
-- key read on its own shard, then the rows by id).
create function purse_citus_claimed_ids(p_channels bigint[], p_requests text[]) returns bigint[]
language plpgsql as $$
declare
  ids bigint[];
begin
  select coalesce(array_agg(c.transaction_id), '{}') into ids
  from request_claims c join unnest(p_channels, p_requests) as k(channel_id, request_id)
    on c.channel_id = k.channel_id and c.request_id = k.request_id
  where cardinality(p_requests) > 0 and c.request_id = any(p_requests);
  return ids;
end $$;
comment on function purse_citus_claimed_ids(bigint[], text[]) is
  'Citus (design §9): the transaction ids reserved by the claims of these keys (request_claims, read on the keys'' shards).';

-- Where a batch's cards and keys are (replaces 000300's reading of transactions by key): the cards
-- of its PAN tokens, the claims of its keys with whether their row exists and whether a claim
-- without a row is stale, and the shard of every such card and reserved id.
create or replace function purse_citus_route(p_tokens bytea[], p_key_channels bigint[], p_key_requests text[]) returns json
language plpgsql as $$
declare
  tokens json;
  claims json;
  card_ids bigint[];
  claim_ids bigint[];
  rows_ bigint[];
begin
  select coalesce(json_agg(json_build_object('token', t.pan_token, 'card_id', t.card_id)), '[]'::json), coalesce(array_agg(t.card_id), '{}')
  into tokens, card_ids
  from card_pan_tokens t where cardinality(p_tokens) > 0 and t.pan_token = any(p_tokens);
  select coalesce(array_agg(c.transaction_id), '{}') into claim_ids
  from request_claims c join unnest(p_key_channels, p_key_requests) as k(channel_id, request_id)
    on c.channel_id = k.channel_id and c.request_id = k.request_id
  where cardinality(p_key_requests) > 0 and c.request_id = any(p_key_requests);
  select coalesce(array_agg(t.id), '{}') into rows_ from transactions t where cardinality(claim_ids) > 0 and t.id = any(claim_ids);
  select coalesce(json_agg(json_build_object('channel_id', c.channel_id, 'request_id', c.request_id, 'id', c.transaction_id, 'status', c.status,
      'row', c.transaction_id = any(rows_), 'stale', c.claimed_at < now() - interval '30 seconds')), '[]'::json)
  into claims
  from request_claims c join unnest(p_key_channels, p_key_requests) as k(channel_id, request_id)
    on c.channel_id = k.channel_id and c.request_id = k.request_id
  where cardinality(p_key_requests) > 0 and c.request_id = any(p_key_requests);
  return json_build_object(
    'tokens', tokens,
    'keyed', claims,
    'shards', (select coalesce(json_agg(json_build_object('id', x.id, 'shard', s.shardid, 'min', s.shardminvalue::int, 'max', s.shardmaxvalue::int)), '[]'::json)
      from (select distinct unnest(card_ids || claim_ids) as id) x
      join pg_dist_shard s on s.logicalrelid = 'cards'::regclass and hashint8(x.id) between s.shardminvalue::int and s.shardmaxvalue::int),
    -- a shard for a batch none of whose messages names a known card or key
    'first', (select json_build_object('shard', s.shardid, 'min', s.shardminvalue::int, 'max', s.shardmaxvalue::int)
      from pg_dist_shard s where s.logicalrelid = 'cards'::regclass order by s.shardminvalue::int limit 1));
end $$;
comment on function purse_citus_route(bytea[], bigint[], text[]) is
  'Citus (design §9): the shard group of a batch''s cards (by PAN token) and claimed keys (request_claims: reserved id, status, whether the row exists, whether a claim without a row is older than 30 s), with each shard''s hash range. Read only.';

-- One key's claim, in a transaction of its own (one shard): p_take null claims a new key with an id
-- drawn into [p_min, p_max]; p_take = the reserved id of a stale claim without a row takes it over
-- (the id kept). p_status: 'pending' for a message's own key, 'marker' for the key of the unknown
-- original a reversal names (claimed in a transaction of its own too: the two keys are on two
-- shards). Returns {id, taken}: taken false when another claim won.
create function purse_citus_claim(p_channel bigint, p_request text, p_body_hash bytea, p_min int, p_max int, p_take bigint, p_status text) returns json
language plpgsql as $$
declare
  fresh bigint;
  id_ bigint;
begin
  if p_take is null then
    fresh := (purse_shard_ids('transactions', 1, p_min, p_max))[1];
    insert into request_claims (channel_id, request_id, transaction_id, body_hash, status)
    values (p_channel, p_request, fresh, p_body_hash, p_status)
    on conflict do nothing
    returning transaction_id into id_;
  else
    update request_claims set claimed_at = now(), body_hash = p_body_hash, status = p_status
    where request_id = p_request and channel_id = p_channel and transaction_id = p_take and status in ('pending', 'marker')
      and claimed_at < now() - interval '30 seconds'
    returning transaction_id into id_;
  end if;
  return json_build_object('id', id_, 'taken', id_ is not null);
end $$;
comment on function purse_citus_claim(bigint, text, bytea, int, int, bigint, text) is
  'Citus (design §9): claims a key (pending, or marker for a reversal''s unknown original; an id reserved in the card''s shard range) or takes over a stale claim without a row (the id kept); run in a transaction of its own.';

-- The prefetch on Citus looks the keys' rows up through their claims (by id, on their shards)
-- instead of by key on every shard. Rewritten by its text after 000242's rewrite, as those are.
create function purse_citus_prefetch_claims() returns boolean language plpgsql as $$
declare
  fn oid;
  src text;
  out text;
  -- None of these texts overlaps those that 000231 and 000242 swap (each step finds its own replacement
  -- again when the Citus step runs on a later migrate).
  swaps text[] := array[
    E'  txn_ids bigint[];\n',
    E'  txn_ids bigint[];\n  claimed bigint[];\n',
    E'  with keyed as (\n    select t.id, t.original_id, t.type from transactions t\n',
    E'  claimed := purse_citus_claimed_ids(p_key_channels, p_key_requests);\n  with keyed as (\n'
    || E'    select t.id, t.original_id, t.type from (select * from transactions where cardinality(claimed) > 0 and id = any(claimed)) t\n'];
  i int;
begin
  if not exists (select 1 from pg_extension where extname = 'citus') or to_regclass('request_claims') is null then
    return false;
  end if;
  select p.oid into fn from pg_proc p where p.proname = 'purse_prefetch';
  src := pg_get_functiondef(fn);
  out := src;
  for i in 1 .. array_length(swaps, 1) by 2 loop
    continue when position(swaps[i + 1] in out) > 0;
    if position(swaps[i] in out) = 0 then
      raise exception 'purse_prefetch no longer contains "%"; update migration 000301 for Citus', swaps[i];
    end if;
    out := replace(out, swaps[i], swaps[i + 1]);
  end loop;
  if out <> src then
    execute out;
  end if;
  return true;
end $$;
comment on function purse_citus_prefetch_claims() is
  'Citus step (migration 000301): the prefetch finds the rows under its keys through their claims (request_claims by request_id, then transactions by id); raises when the prefetch no longer has the query it expects. No-op without citus.';

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
  if to_regclass('request_claims') is null then
    create table request_claims (
      channel_id bigint not null,
      request_id text not null,
      transaction_id bigint not null,
      body_hash bytea,
      status text not null check (status in ('pending', 'marker', 'done')),
      claimed_at timestamptz not null default now(),
      primary key (request_id, channel_id)
    );
    comment on table request_claims is
      'Citus only (design §9, migration 000301): the idempotency claim of each (channel, request_id), distributed by request_id, with the id reserved for the message''s row in its card''s shard group.';
    comment on column request_claims.transaction_id is 'The id the message''s transactions row is inserted under (drawn into its card''s shard range); kept when a stale claim is taken over.';
    comment on column request_claims.status is 'pending: claimed (done once its row exists); marker: claimed by a reversal of an unknown original; done: its row committed.';
    comment on column request_claims.claimed_at is 'When the claim was made or taken over; a claim without a row older than 30 s may be taken over.';
    perform create_distributed_table('request_claims', 'request_id', shard_count => 32);
    -- The rows stored before (a single server's database the extension was added to).
    insert into request_claims (channel_id, request_id, transaction_id, body_hash, status)
    select channel_id, request_id, id, body_hash, case when status = 'marker' then 'marker' else 'done' end from transactions;
    placed := placed || 'request_claims'::text;
  end if;
  -- Before the tables are placed: a new database's transactions are then placed by id directly
  -- (a database placed before migration 000300 fails here, saying so).
  perform purse_citus_transactions_by_id();
  placed := placed || purse_citus_place_tables();
  -- After 000231's rewrite of the prefetch's row locks (purse_citus_place_tables runs it).
  perform purse_citus_prefetch_routes();
  perform purse_citus_prefetch_claims();
  return placed;
end $$;
comment on function purse_citus_distribute() is
  'Citus step of `purse db migrate` (design §9): the PAN token table (000241) and the request claims (000301), transactions placed by id with the cards (000300), purse_citus_place_tables(), then the prefetch''s routed lookups (000242, 000301); a no-op without the citus extension. Returns the tables it placed.';
