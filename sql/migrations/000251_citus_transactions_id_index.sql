-- On Citus transactions are keyed by (request_id, id) (purse_citus_distribute, migration 000230):
-- a lookup by id alone (a statement's lines find their transactions by entries.transaction_id; the
-- prefetch reads originals by id before locking them) goes to every shard, where this index answers
-- it instead of a scan of the shard. A single server keeps its primary key on id and needs none.
do $$
begin
  if exists (select 1 from pg_extension where extname = 'citus') then
    create index if not exists transactions_id on transactions (id);
  end if;
end $$;
