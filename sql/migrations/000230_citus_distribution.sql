-- Scale-out on Citus (design §9). One set of migrations for every server: this one only defines
-- purse_citus_distribute(), which `purse db migrate` calls after the last migration; it does nothing
-- unless the citus extension is installed, so a single server keeps its schema exactly as it is.
-- On a Citus coordinator it distributes what is not distributed yet (idempotent, so tables added by
-- later migrations are placed by a later run of the same function):
--   * registry tables (small, read by every transaction, written by operators) become reference
--     tables: a copy on every node, joinable with every shard;
--   * card-scoped tables are distributed by card_id (cards by id), co-located: a card's rows of
--     every table live in one shard group;
--   * entries by id and postings by entry_id, co-located: an entry's postings are on one shard, so the
--     statement-level balance trigger (invariant 1), which fires per shard, still sees every posting of
--     each entry it checks;
--   * transactions (the idempotency records) by request_id and load_references by reference: their
--     unique keys (channel_id, request_id) and (issuer_id, reference) contain the distribution column,
--     so Citus enforces them exactly (the same key always hashes to the same shard), and a message
--     naming an original finds it on one shard by the original's request_id.
-- Citus refuses a unique key without the distribution column and a foreign key between tables that
-- are not co-located on it; what it refuses is replaced as the comments below say.
create function purse_citus_distribute() returns text[] language plpgsql as $$
declare
  placed text[] := '{}';
  t text;
  fks text[];
  i int;
  kind_from text;
  kind_to text;
  -- Tables distributed by a column; every other table of the schema (registry, settlement, job
  -- runs, and tables later migrations add) becomes a reference table, except schema_migrations.
  card_tables text[] := array[
    'card_accounts', 'holds', 'points_lots', 'points_lot_moves', 'points_clawbacks', 'lottery_draws',
    'card_status_changes', 'dormancy_charges'];
  distributed text[] := card_tables || array['cards', 'entries', 'postings', 'transactions', 'load_references'];
  unplaced text[];
begin
  if not exists (select 1 from pg_extension where extname = 'citus') then
    return placed;
  end if;
  -- The append-only and balance triggers of entries and postings (and entry_kinds' own) must follow
  -- the tables onto their shards; statement triggers then fire per shard (see above).
  perform set_config('citus.enable_unsafe_triggers', 'on', true);
  -- Everything below runs in one transaction; Citus lets it modify a reference table after it
  -- touched shards only over one connection per node.
  perform set_config('citus.multi_shard_modify_mode', 'sequential', true);

  select coalesce(array_agg(c.relname::text order by c.relname), '{}') into unplaced
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = current_schema() and c.relkind = 'r' and not c.relispartition and c.relname <> 'schema_migrations'
    and not exists (select 1 from pg_dist_partition d where d.logicalrelid = c.oid and (d.partmethod = 'h' or d.repmodel = 't'));

  -- Foreign keys touching a table to place are dropped first and added back once every table is
  -- placed: placing a table that a local table still points at would turn that one into a "Citus
  -- local" table on the coordinator (which then cannot be distributed: it has an identity column).
  -- Added back only where Citus accepts them: towards a reference table, or between co-located
  -- tables on their distribution columns. Not added back: a card row or a breakage cohort pointing
  -- at an entry (placed by the entry's id, another shard group), a card pointing at its replacement
  -- (another card, another shard); entries are append-only and cards never deleted, so the rows
  -- they name cannot disappear.
  select coalesce(array_agg(array[c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.confrelid::regclass::text,
                                  fa.attname::text, ta.attname::text] order by c.conrelid::regclass::text, c.conname), '{}')
  into fks
  from pg_constraint c
  join pg_attribute fa on fa.attrelid = c.conrelid and fa.attnum = c.conkey[1]
  join pg_attribute ta on ta.attrelid = c.confrelid and ta.attnum = c.confkey[1]
  where c.contype = 'f' and (c.conrelid::regclass::text = any(unplaced) or c.confrelid::regclass::text = any(unplaced));
  if cardinality(fks) > 0 then
    for i in 1 .. array_length(fks, 1) loop
      execute format('alter table %I drop constraint %I', fks[i][1], fks[i][2]);
    end loop;
  end if;

  foreach t in array unplaced loop
    if t <> all(distributed) then
      perform create_reference_table(t);
      placed := placed || t;
    end if;
  end loop;

  if not exists (select 1 from pg_dist_partition where logicalrelid = 'cards'::regclass) then
    -- Citus cannot keep pan_token unique across shards (the key lacks the distribution column): the
    -- PAN lookup keeps a plain index.
    execute 'alter table cards drop constraint if exists cards_pan_token_key';
    execute 'create index if not exists cards_pan_token on cards (pan_token)';
    perform create_distributed_table('cards', 'id', shard_count => 32);
    placed := placed || 'cards'::text;
  end if;

  foreach t in array card_tables loop
    if to_regclass(t) is not null and not exists (select 1 from pg_dist_partition where logicalrelid = to_regclass(t)) then
      if t = 'holds' then
        -- A primary key must hold the distribution column: (card_id, id) instead of (id).
        execute 'alter table holds drop constraint holds_pkey';
        execute 'alter table holds add primary key (card_id, id)';
      end if;
      perform create_distributed_table(t, 'card_id', colocate_with => 'cards');
      placed := placed || t;
    end if;
  end loop;

  if not exists (select 1 from pg_dist_partition where logicalrelid = 'entries'::regclass) then
    perform create_distributed_table('entries', 'id', colocate_with => 'cards');
    perform create_distributed_table('postings', 'entry_id', colocate_with => 'entries');
    placed := placed || array['entries', 'postings'];
  end if;

  if not exists (select 1 from pg_dist_partition where logicalrelid = 'transactions'::regclass) then
    -- The idempotency key (channel_id, request_id) stays unique; the id alone is unique through its
    -- sequence, and the primary key becomes (request_id, id).
    execute 'alter table transactions drop constraint transactions_pkey';
    execute 'alter table transactions add primary key (request_id, id)';
    perform create_distributed_table('transactions', 'request_id', shard_count => 32);
    placed := placed || 'transactions'::text;
  end if;

  if not exists (select 1 from pg_dist_partition where logicalrelid = 'load_references'::regclass) then
    perform create_distributed_table('load_references', 'reference', colocate_with => 'transactions');
    placed := placed || 'load_references'::text;
  end if;

  -- The daemon's batches run with custom plans here (src/daemon/batch.ts reads this setting): Citus
  -- routes a statement by its parameters' values, which a generic plan does not have.
  execute format('alter database %I set purse.batch_plan_mode = %L', current_database(), 'force_custom_plan');
  -- Commands such as `purse cards issue` read many shards and then write a reference table (the
  -- batch row) in one transaction; Citus allows that only when the reads used one connection per
  -- node. Single-shard transactions (the hot path) are unaffected; multi-shard reads use one
  -- connection per node instead of several.
  execute format('alter database %I set citus.multi_shard_modify_mode = %L', current_database(), 'sequential');

  -- Migration 000231: the daemon's prefetch takes its row locks one shard at a time.
  if to_regprocedure('purse_citus_prefetch_locks()') is not null then
    execute 'select purse_citus_prefetch_locks()';
  end if;

  if cardinality(fks) > 0 then
    for i in 1 .. array_length(fks, 1) loop
      select case when d.partmethod = 'h' then 'h:' || d.colocationid || ':' || column_to_column_name(d.logicalrelid, d.partkey) else 'r' end
      into kind_from from pg_dist_partition d where d.logicalrelid = fks[i][1]::regclass;
      select case when d.partmethod = 'h' then 'h:' || d.colocationid || ':' || column_to_column_name(d.logicalrelid, d.partkey) else 'r' end
      into kind_to from pg_dist_partition d where d.logicalrelid = fks[i][4]::regclass;
      if kind_to = 'r' and kind_from is not null
         or (kind_from like 'h:%' and split_part(kind_from, ':', 2) = split_part(kind_to, ':', 2)
             and split_part(kind_from, ':', 3) = fks[i][5] and split_part(kind_to, ':', 3) = fks[i][6]) then
        execute format('alter table %I add constraint %I %s', fks[i][1], fks[i][2], fks[i][3]);
      else
        raise notice 'citus: foreign key %.% (%) not kept: Citus refuses it between these placements', fks[i][1], fks[i][2], fks[i][3];
      end if;
    end loop;
  end if;

  return placed;
end $$;

comment on function purse_citus_distribute() is
  'Citus step of `purse db migrate` (design §9): places every table not yet placed (reference tables, card_id-distributed shard groups, entries with their postings, idempotency records); a no-op without the citus extension. Returns the tables it placed.';
