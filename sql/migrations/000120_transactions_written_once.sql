-- Migration 000080 left three quarters of every transactions page free so that a row claimed as
-- 'pending' could be completed in place by a HOT update. The daemon's one-round-trip batches
-- (src/daemon/one-trip.ts), which take every purchase, load, balance inquiry and activation once
-- their card has been seen, now write each row once and complete: on such pages the free space
-- was never used, and the table grew to four times its dense size (about 2 kB of new pages per
-- purchase, written to disk twice: as zeros when the page is added, then with the rows). Rows
-- still claimed and completed (a card's first message after the daemon starts, preauths,
-- captures, voids, reversals, refunds, points) may now be completed on another page, with an
-- index entry per index; status changes of originals likewise. Applies to pages allocated from now on.
alter table transactions set (fillfactor = 90);
