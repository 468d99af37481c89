-- Row locks for the daemon's prefetch on Citus (design §9). Citus takes FOR UPDATE / FOR NO KEY
-- UPDATE only in a query routed to one shard, and plans a parameterized statement of a function
-- only with a custom plan. The prefetch (purse_prefetch and purse_points_state, migration 000140)
-- locks the originals, the cards, their accounts, and the lottery draws and claw-backs of the
-- originals with one array query each: on Citus, purse_citus_prefetch_locks() (called by
-- purse_citus_distribute's run, i.e. by `purse db migrate` on a coordinator) rewrites those
-- queries to the functions below, which lock the same rows in the same order, one
-- single-shard query per row, and switches the prefetch to custom plans. On a single server these
-- functions exist and are never called: its prefetch stays exactly as migration 000140 wrote it.

create function purse_citus_lock_txns(p_ids bigint[]) returns setof transactions language plpgsql as $$
declare
  r record;
begin
  -- The id alone does not route (transactions are distributed by request_id): the rows' keys are
  -- read first, then each row is locked on its shard, in id order as on a single server.
  for r in select id, request_id from transactions where id = any(p_ids) order by id loop
    return query select * from transactions t where t.request_id = r.request_id and t.id = r.id for no key update;
  end loop;
end $$;
comment on function purse_citus_lock_txns(bigint[]) is 'Citus: locks (FOR NO KEY UPDATE) and returns the transactions rows with these ids, in id order, one single-shard query per row.';

create function purse_citus_lock_cards(p_ids bigint[]) returns setof cards language plpgsql as $$
declare
  c bigint;
begin
  foreach c in array (select coalesce(array_agg(distinct x order by x), '{}') from unnest(p_ids) x) loop
    return query select * from cards where id = c for no key update;
  end loop;
end $$;
comment on function purse_citus_lock_cards(bigint[]) is 'Citus: locks and returns these cards in ascending id order (the order every writer locks cards in), one single-shard query per card.';

create function purse_citus_lock_accounts(p_ids bigint[]) returns setof card_accounts language plpgsql as $$
declare
  c bigint;
begin
  foreach c in array (select coalesce(array_agg(distinct x order by x), '{}') from unnest(p_ids) x) loop
    return query select * from card_accounts where card_id = c order by asset for no key update;
  end loop;
end $$;
comment on function purse_citus_lock_accounts(bigint[]) is 'Citus: locks and returns the accounts of these cards in (card_id, asset) order, one single-shard query per card.';

create function purse_citus_lock_draws(p_txns bigint[]) returns setof lottery_draws language plpgsql as $$
declare
  r record;
begin
  for r in select card_id, id from lottery_draws where transaction_id = any(p_txns) order by card_id, id loop
    return query select * from lottery_draws d where d.card_id = r.card_id and d.id = r.id for update;
  end loop;
end $$;
comment on function purse_citus_lock_draws(bigint[]) is 'Citus: locks (FOR UPDATE) and returns the lottery draws of these transactions in (card_id, id) order, one single-shard query per draw.';

create function purse_citus_lock_clawbacks(p_txns bigint[]) returns setof points_clawbacks language plpgsql as $$
declare
  r record;
begin
  for r in select card_id, id from points_clawbacks where transaction_id = any(p_txns) and not reversed order by card_id, id loop
    return query select * from points_clawbacks c where c.card_id = r.card_id and c.id = r.id and not c.reversed for update;
  end loop;
end $$;
comment on function purse_citus_lock_clawbacks(bigint[]) is 'Citus: locks (FOR UPDATE) and returns the claw-backs not reversed of these transactions in (card_id, id) order, one single-shard query per row.';

create function purse_citus_prefetch_locks() returns boolean language plpgsql as $$
declare
  fn oid;
  src text;
  out text;
  -- (function, query as migration 000140 writes it, its Citus replacement)
  swaps text[] := array[
    'purse_prefetch', 'select t.* from transactions t where t.id = any(txn_ids) order by t.id for no key update',
    'select t.* from purse_citus_lock_txns(txn_ids) t',
    'purse_prefetch', 'select * from cards where id = any(card_ids) order by id for no key update',
    'select * from purse_citus_lock_cards(card_ids)',
    'purse_prefetch', 'select * from card_accounts where card_id = any(card_ids) order by card_id, asset for no key update',
    'select * from purse_citus_lock_accounts(card_ids)',
    'purse_points_state', 'select * from lottery_draws where transaction_id = any(p_txns) order by card_id, id for update',
    'select * from purse_citus_lock_draws(p_txns)',
    'purse_points_state', 'select * from points_clawbacks where transaction_id = any(p_txns) and not reversed order by card_id, id for update',
    'select * from purse_citus_lock_clawbacks(p_txns)'];
  i int;
  f text;
begin
  if not exists (select 1 from pg_extension where extname = 'citus') then
    return false;
  end if;
  for fn in select p.oid from pg_proc p where p.proname in ('purse_prefetch', 'purse_points_state') loop
    execute format('alter function %s set plan_cache_mode = force_custom_plan', fn::regprocedure);
  end loop;
  foreach f in array array['purse_prefetch', 'purse_points_state'] loop
    select p.oid into fn from pg_proc p where p.proname = f;
    continue when fn is null;
    src := pg_get_functiondef(fn);
    out := src;
    for i in 1 .. array_length(swaps, 1) by 3 loop
      continue when swaps[i] <> f or position(swaps[i + 2] in out) > 0;
      if position(swaps[i + 1] in out) = 0 then
        -- The function changed: refuse to run it on Citus without its locks rather than lose them.
        raise exception '% no longer contains "%"; update migration 000231 for Citus', f, swaps[i + 1];
      end if;
      out := replace(out, swaps[i + 1], swaps[i + 2]);
    end loop;
    if out <> src then
      execute out;
    end if;
  end loop;
  return true;
end $$;
comment on function purse_citus_prefetch_locks() is 'Citus step: rewrites the locking queries of purse_prefetch and purse_points_state to the single-shard row-lock functions and gives them custom plans; refuses (raises) when a function no longer has a query it expects. No-op without citus.';
