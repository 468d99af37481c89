-- purse_shard_ids (migration 000300) draws ids from a sequence until enough hash into the given
-- range. An empty range (min above max), or one a caller got wrong, drew forever, holding its
-- connection and burning the sequence; a statement Citus 13.2 rewrote with other arguments did
-- that in a test. It now refuses an empty range at once, and gives up after a million draws (a
-- shard's range holds 1/32 of the hash space by default: about 32 draws per id).
create or replace function purse_shard_ids(p_table regclass, p_n int, p_min int, p_max int) returns bigint[]
language plpgsql as $$
declare
  seq regclass := pg_get_serial_sequence(p_table::text, 'id')::regclass;
  ids bigint[] := '{}';
  v bigint;
  draws int := 0;
begin
  perform purse_assert(p_min is null or (p_max is not null and p_min <= p_max), 'shard_range', format('empty hash range [%s, %s]', p_min, p_max));
  while cardinality(ids) < p_n loop
    v := nextval(seq);
    if p_min is null or hashint8(v) between p_min and p_max then
      ids := ids || v;
    end if;
    draws := draws + 1;
    if draws > 1000000 + p_n then
      raise exception 'shard_range: no id of % hashed into [%, %] in a million draws', p_table, p_min, p_max using errcode = 'P0001';
    end if;
  end loop;
  return ids;
end $$;
comment on function purse_shard_ids(regclass, int, int, int) is
  'Citus (design §9): p_n ids of the table''s id sequence whose hash (hashint8 = Citus''s worker_hash) is within [p_min, p_max], the range of the shard the batch writes; all values when p_min is null. An empty range is refused.';
