-- Bulk loads decide a chunk's credits in one statement (src/batch/load-apply.ts). A card with
-- several rows in a chunk that do not all fit under its maximum needs them decided one by one in
-- file order, each against the balance the credited rows before it left: this function does that
-- for one card, so the statement needs no round trip per row or per turn.

create function purse_load_balances_before(p_balance bigint, p_max bigint, p_amounts bigint[]) returns bigint[]
language plpgsql immutable as $$
declare
  balance bigint := p_balance;
  amount bigint;
  before bigint[] := '{}';
begin
  foreach amount in array p_amounts loop
    before := before || balance;
    if balance + amount <= p_max then
      balance := balance + amount;
    end if;
  end loop;
  return before;
end $$;

comment on function purse_load_balances_before(bigint, bigint, bigint[]) is
  'For one card account holding p_balance with maximum p_max, and its load amounts in file order: the balance each row finds, crediting (in order) every row that keeps the balance at or under p_max.';
