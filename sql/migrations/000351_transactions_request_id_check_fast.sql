-- The request_id check of migration 000010, spelled as 000331 spelled the load references' check:
-- the bounded repetition `{1,64}` expands into 64 states of PostgreSQL's regex engine and cost about
-- 7 µs on every transactions row the daemon inserts; `+` with the length checked apart costs under
-- 1 µs. The same strings pass: 1 to 64 characters of A-Z a-z 0-9 _ . : -.


-- One statement (a DO block): Citus propagates each ALTER of a distributed table on its own, and
-- refuses two of them sent to it in one message (as the migrator sends a file).
do $$
begin
  alter table transactions drop constraint transactions_request_id_check;
  alter table transactions add constraint transactions_request_id_check
    check (request_id ~ '^[A-Za-z0-9_.:-]+$' and length(request_id) <= 64);
end $$;
