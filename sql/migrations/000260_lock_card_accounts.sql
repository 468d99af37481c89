-- Bulk loads lock the card accounts they credit only in the last statement of each chunk, in
-- (card_id, asset) order — the order the daemon's prefetch locks them in (migration 000140), so a
-- load and a batch of purchases never wait on each other in a cycle. One function for both
-- servers: on a single PostgreSQL one ordered array query; on Citus (design §9), which takes row
-- locks only in a query routed to one shard, the single-shard lock function of migration 000231.

create function purse_lock_card_accounts(p_card_ids bigint[]) returns integer language plpgsql as $$
declare
  n integer;
begin
  if exists (select 1 from pg_extension where extname = 'citus') then
    select count(*) into n from purse_citus_lock_accounts(p_card_ids);
  else
    -- ORDER BY under a locking clause locks the rows as they leave the sort, one by one in order.
    select count(*) into n from (
      select 1 from card_accounts where card_id = any(p_card_ids) order by card_id, asset for no key update
    ) l;
  end if;
  return n;
end $$;

comment on function purse_lock_card_accounts(bigint[]) is
  'Locks (FOR NO KEY UPDATE) every account of these cards in (card_id, asset) order, as the daemon''s prefetch does; returns how many. On Citus one single-shard query per card.';
