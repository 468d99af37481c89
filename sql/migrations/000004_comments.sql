-- Comments the foundation migrations left out: every table and every money column is described
-- (house style §5), so `\d+` in psql explains the schema.

comment on table schema_migrations is 'Applied migrations with the SHA-256 of each file; a changed file is refused (forward-only).';
comment on table merchants is 'Merchants: commission on stored-value redemptions, points earn rule, accepted programs and schemes.';
comment on table merchant_alliances is 'Alliances a merchant belongs to; it accepts their schemes.';
comment on table terminals is 'Terminals of a merchant; codes are unique per merchant.';
comment on table channels is 'Acquiring channels: HMAC secret (encrypted, rotatable with an overlap), fee, merchants it may submit for.';
comment on column holds.amount is 'Amount reserved when the hold was placed, minor units.';
comment on column card_batches.card_count is 'Number of cards the issuance run created.';
