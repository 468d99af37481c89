-- cards.last_activity_at repeated what the postings already say: the daemon wrote it when money
-- moved on a card, and every such movement is a posting of an activity kind (entry_kinds.activity),
-- which dormancy reads (src/settlement/dormancy.ts) and `purse cards show` reports. Keeping it cost
-- an UPDATE of the card row for the first movement of each card and day, in real traffic nearly
-- every authorization. The prefetch no longer reads it (migration 000270).
alter table cards drop column last_activity_at;
