-- The entry-kind check of migration 000210 without a join of the inserted rows with entry_kinds.
-- On Citus the check fires per shard of entries, where a query that joins the statement's transition
-- table with the entry_kinds reference table is refused ("unrecognized RTE kind"); so the kinds are
-- compiled into a function returning them as a constant, which the check compares against without
-- touching any table. purse_entry_kinds_refresh() rebuilds it: a migration that adds a kind calls it
-- (test/ledger/entry-kinds.test.ts checks that the list equals the table).
create function purse_entry_kinds_refresh() returns void language plpgsql as $$
begin
  execute format(
    'create or replace function purse_entry_kinds() returns text[] language sql immutable parallel safe as %L',
    format('select %L::text[]', (select array_agg(kind order by kind) from entry_kinds)));
end $$;
comment on function purse_entry_kinds_refresh() is 'Rebuilds purse_entry_kinds() from entry_kinds; call it in the migration that adds a kind.';

select purse_entry_kinds_refresh();

create or replace function entries_check_kind() returns trigger language plpgsql as $$
declare
  bad text;
begin
  -- the entry's kind, and for a void or reversal the kind it undoes (memo.reverses, which settlement
  -- files its legs under: postings.reverses_kind)
  select x.kind into bad from new_entries n
    cross join lateral (values (n.kind), (n.memo->>'reverses')) as x(kind)
    where x.kind is not null and x.kind <> all (purse_entry_kinds()) limit 1;
  if found then
    raise exception 'entry kind % is not in entry_kinds: add it there (with its settlement category) first', bad
      using errcode = 'foreign_key_violation';
  end if;
  return null;
end $$;
