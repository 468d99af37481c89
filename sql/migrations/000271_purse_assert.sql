-- A statement of the daemon's write message (one round trip ending with COMMIT, design §2) that
-- must change exactly what its decision counted on cannot hand a row count back to the daemon
-- before the COMMIT runs: it checks in SQL instead, and a failed check fails the statement, so
-- nothing after it, the COMMIT included, runs. Used by the points bookkeeping: lot debits take
-- exactly the points decided, a prize draw takes a unit of stock that the draw saw.

create function purse_assert(ok boolean, code text, message text) returns boolean
language plpgsql as $$
begin
  if ok is not true then
    raise exception '%: %', code, message using errcode = 'P0001';
  end if;
  return true;
end $$;

comment on function purse_assert(boolean, text, text) is
  'Raises P0001 "<code>: <message>" unless ok is true: an invariant a write statement checks before its transaction commits.';
