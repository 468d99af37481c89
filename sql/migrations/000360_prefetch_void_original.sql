-- A reversal may name a void (a POS terminal reverses a void whose answer it never saw): the void
-- then never happened, and its original stands approved again (design §5: a reversal of a processed
-- original is always acknowledged). The prefetch locks and reads a void's original with the void,
-- as it does a refund's purchase. Rewritten by its text, so that the Citus rewrites of migrations
-- 000231, 000242 and 000301 (which never touch this line) stay as they are on a cluster.
do $$
declare
  fn oid := 'purse_prefetch(date, bigint[], text[], int[], bytea[], int, timestamptz, bigint[], bytea[], text[])'::regprocedure;
  src text := pg_get_functiondef(fn);
  was text := E'    select original_id from keyed where type = ''refund'' and original_id is not null\n';
  becomes text := E'    select original_id from keyed where type in (''refund'', ''void'') and original_id is not null\n';
begin
  if position(was in src) = 0 then
    raise exception 'purse_prefetch no longer reads a refund''s purchase as migration 000270 wrote it; update migration 000360';
  end if;
  execute replace(src, was, becomes);
end $$;

comment on function purse_prefetch(date, bigint[], text[], int[], bytea[], int, timestamptz, bigint[], bytea[], text[]) is
  'The daemon batch''s prefetch (design §2): business date lock, key claims (advisory locks), originals (with a refund''s purchase and a void''s original) then cards locked, and all the decisions read, as JSON (cards with needs_holder, design §10).';
