import type pg from 'pg';
import type { Key } from './prefetch.js';
import { keyOf } from './work-item.js';

/** A shard of the cards' co-location group: its id and the hash range of the ids placed on it. */
export interface ShardRange { shard: number; min: number; max: number }

/** Where a batch's cards and claimed keys are, read before its transactions (purse_citus_route, migrations 000300, 000301). */
export interface Route {
  /** Card id by PAN token (hex). */
  cardByToken: Map<string, number>;
  /**
   * The claims of the batch's keys (migration 000301), by key: the reserved id, the status, whether
   * the row exists, and whether a claim without a row is stale (older than 30 s: taken over).
   */
  keyed: Map<string, { id: number; status: string; row: boolean; stale: boolean }>;
  /** The shard of each of those cards and rows, by id. */
  shardOf: Map<number, ShardRange>;
  /** A shard for a batch that names no known card or row. */
  first: ShardRange;
}

interface RouteJson {
  tokens: { token: string; card_id: number }[];
  keyed: { channel_id: number; request_id: string; id: number; status: string; row: boolean; stale: boolean }[];
  shards: { id: number; shard: number; min: number; max: number }[];
  first: ShardRange;
}

const ROUTE_SQL = 'select purse_citus_route($1::bytea[], $2::bigint[], $3::text[]) as r';

/** Reads where the batch's cards (by PAN token) and keys' claims are: one read-only round trip, outside any transaction. */
export async function readRoute(client: pg.ClientBase, tokens: readonly Buffer[], keys: readonly Key[]): Promise<Route> {
  const { rows: [row] } = await client.query<{ r: RouteJson }>(ROUTE_SQL, [tokens, keys.map((k) => k.channelId), keys.map((k) => k.requestId)]);
  const r = row!.r;
  return {
    cardByToken: new Map(r.tokens.map((t) => [t.token.slice(2), t.card_id])),
    keyed: new Map(r.keyed.map((k) => [keyOf(k.channel_id, k.request_id), { id: k.id, status: k.status, row: k.row, stale: k.stale }])),
    shardOf: new Map(r.shards.map((s) => [s.id, { shard: s.shard, min: s.min, max: s.max }])),
    first: r.first,
  };
}

/** One shard group's messages of a batch, in arrival order. */
export interface ShardGroup<T> { range: ShardRange; items: T[] }

/**
 * Splits a batch into shard groups, in the order each group's first message arrived. A message goes
 * with the shard of its anchor (the card or stored row its writes are on); one without (a repeat,
 * an unknown card, a reversal of an unknown original) writes only its own row, which may be on any
 * shard: it joins the first group, or `first` when no message has an anchor.
 */
export function groupByShard<T>(items: readonly T[], shardOf: (item: T) => ShardRange | null, first: ShardRange): ShardGroup<T>[] {
  const groups = new Map<number, ShardGroup<T>>();
  const loose: T[] = [];
  for (const item of items) {
    const range = shardOf(item);
    if (range === null) {
      loose.push(item);
      continue;
    }
    const g = groups.get(range.shard);
    if (g) g.items.push(item);
    else groups.set(range.shard, { range, items: [item] });
  }
  const list = [...groups.values()];
  if (loose.length === 0) return list;
  if (list.length === 0) return [{ range: first, items: loose }];
  // Keep arrival order within the group the loose messages join.
  const order = new Map(items.map((item, n) => [item, n]));
  list[0]!.items = [...list[0]!.items, ...loose].sort((a, b) => order.get(a)! - order.get(b)!);
  return list;
}
