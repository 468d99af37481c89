-- Row locks for the points-expiry job that Citus accepts (design §9). Citus takes FOR UPDATE only
-- in a query routed to one shard; the job locked a chunk's expired lots with one array query over
-- many cards. This function locks the same rows in the same order (card, scheme, expiry, id), one
-- single-shard query per card, and is what the job calls on every server (on a single server the
-- per-card queries are index scans inside one call, so the job still makes one round trip).
create function purse_lock_expired_lots(p_cards bigint[], p_as_of timestamptz) returns setof points_lots
language plpgsql set plan_cache_mode = force_custom_plan as $$
declare
  c bigint;
begin
  foreach c in array (select coalesce(array_agg(distinct x order by x), '{}') from unnest(p_cards) x) loop
    return query select * from points_lots
      where card_id = c and remaining > 0 and expires_at <= p_as_of
      order by scheme_id, expires_at, id for update;
  end loop;
end $$;
comment on function purse_lock_expired_lots(bigint[], timestamptz) is
  'Locks (FOR UPDATE) and returns the lots of these cards with points left that expired by p_as_of, in (card_id, scheme_id, expires_at, id) order, one single-shard query per card on Citus.';
