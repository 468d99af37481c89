-- The daemon's one-round-trip batch (src/daemon/one-trip.ts) decides its messages against card
-- states it remembers from earlier batches, then sends claim, check, entries, rows and COMMIT in one
-- message. The check must stop everything after it when what was remembered is no longer so (a
-- taken key, another writer's change to a card): it raises this error, the message's remaining
-- statements are skipped, and the daemon rolls back and runs the batch the two-round-trip way.
create function purse_expect(ok boolean, what text) returns boolean language plpgsql as $$
begin
  if ok is not true then
    raise exception 'batch expectation failed: %', what using errcode = 'PUR01';
  end if;
  return true;
end $$;
comment on function purse_expect(boolean, text) is 'Raises SQLSTATE PUR01 unless ok: the one-round-trip batch''s check that its remembered state still holds.';
