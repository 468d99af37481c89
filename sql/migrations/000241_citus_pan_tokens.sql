-- PAN uniqueness on Citus (design §9). cards is distributed by id, so Citus cannot keep
-- cards.pan_token unique (migration 000230 replaced the unique key by a plain index there). On a
-- coordinator, the Citus step now also creates card_pan_tokens, distributed by the token itself: its
-- primary key is the distribution column, so Citus enforces it exactly, and issuance
-- (src/cards/pan-tokens.ts) writes every new card's token there in the card's own transaction. A
-- single server keeps its unique key on cards and never creates this table.
--
-- purse_citus_distribute() keeps its name (migrate.ts calls it): 000230's body is renamed
-- purse_citus_place_tables() and the new purse_citus_distribute() places the token table first (so the
-- other step does not make it a reference table), fills it from the cards already issued, then
-- places the rest as before.

alter function purse_citus_distribute() rename to purse_citus_place_tables;
comment on function purse_citus_place_tables() is
  'Citus step (migration 000230): places every table not yet placed (reference tables, card_id-distributed shard groups, entries with their postings, idempotency records); a no-op without the citus extension. Returns the tables it placed.';

create function purse_citus_distribute() returns text[] language plpgsql as $$
declare
  placed text[] := '{}';
begin
  if not exists (select 1 from pg_extension where extname = 'citus') then
    return placed;
  end if;
  -- One connection per node for the whole step, as purse_citus_place_tables() needs (it sets the same).
  perform set_config('citus.multi_shard_modify_mode', 'sequential', true);
  if to_regclass('card_pan_tokens') is null then
    create table card_pan_tokens (
      pan_token bytea primary key,
      card_id bigint not null
    );
    comment on table card_pan_tokens is
      'Citus only (design §9): one row per card, keyed by its PAN token (HMAC) and distributed by it, so that no two cards share a PAN; written by issuance with the card.';
    perform create_distributed_table('card_pan_tokens', 'pan_token', shard_count => 32);
    -- The cards issued before: a PAN two of them share fails this step loudly.
    insert into card_pan_tokens (pan_token, card_id) select pan_token, id from cards;
    placed := placed || 'card_pan_tokens'::text;
  end if;
  return placed || purse_citus_place_tables();
end $$;
comment on function purse_citus_distribute() is
  'Citus step of `purse db migrate` (design §9): the PAN token table (migration 000241), then purse_citus_place_tables(); a no-op without the citus extension. Returns the tables it placed.';
