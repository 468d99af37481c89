-- WEB-SEAT's link to a new merchant is made by addMerchant (src/registry/merchants.ts) in the
-- merchant's own transaction instead of by the merchants_web_seat trigger of migration 000170. On
-- Citus merchants is a reference table: its row trigger fires on every node's copy, where the
-- insert into channel_merchants (another distributed table) is refused ("cannot execute a
-- distributed query from a query on a shard"). One mechanism on every server.
drop trigger merchants_web_seat on merchants;
drop function web_seat_merchant();
