import type pg from 'pg';
import { panToken } from '../cards/vault.js';
import type { Context } from '../context.js';
import { keysOf, namesCard, namesOriginal, originalChannel, originalKey, ownKey } from './batch-keys.js';
import { execute, runFused } from './fused.js';
import { groupByShard, readRoute, type ShardRange } from './shard-route.js';
import { CLAIM, CLAIM_DONE } from './shard-sql.js';
import type { WorkItem } from './work-item.js';

/** The ids a group's messages write their rows under, claimed before its transaction. */
export interface Reserved {
  /** Each message's own row (a new key's reserved id, or a stale claim's taken over). */
  ids: Map<WorkItem, number>;
  /** Markers of reversals of unknown originals, by the original's key. */
  markers: Map<string, number>;
}

/** One shard group of a batch: its messages, their hash range, the ids claimed for them. */
export interface ShardGroupPlan { range: ShardRange; items: WorkItem[]; reserved: Reserved }

/** A batch on Citus, split into shard groups with its keys claimed. */
export interface ShardPlan {
  groups: ShardGroupPlan[];
  /** Messages whose original's claim is being written by another batch: run again in the next batch. */
  deferred: WorkItem[];
  /** Messages whose own key another message holds and has not answered yet: 503, the channel retries. */
  busy: WorkItem[];
}

interface Ask { item: WorkItem; take: number | null; marker: { take: number | null } | null }

/**
 * Citus (design §9): before any card's transaction, one round trip reads where the batch's cards
 * and keys are (purse_citus_route), the batch is split by shard group, and one more round trip
 * claims the keys not claimed yet, each in a single-shard transaction of its own (migration
 * 000301): a new key pending with an id reserved in its group's shard range, a stale claim without
 * a row taken over (its id kept), and for a reversal of an unknown original the original's key as
 * its marker. A message goes with the shard of what it writes on: its own key's row (a repeat, a
 * late original adopting its marker) or taken-over claim, its card (by PAN), or the original it
 * names (whose row is on its card's shard); one that names none (an unknown card, a reversal of an
 * unknown original) joins the first group, and its keys' ids are drawn there.
 */
export async function planShards(ctx: Context, client: pg.ClientBase, items: readonly WorkItem[]): Promise<ShardPlan> {
  const tokens = new Map<string, Buffer>();
  for (const i of items) if (namesCard(i) && !tokens.has(i.msg.card!)) tokens.set(i.msg.card!, panToken(ctx.keys, i.msg.card!));
  const route = await readRoute(client, [...tokens.values()], keysOf(items).keys);
  const deferred: WorkItem[] = [];
  const busy: WorkItem[] = [];
  const ready: WorkItem[] = [];
  const anchors = new Map<WorkItem, number | null>();
  const asks: Ask[] = [];
  for (const i of items) {
    const own = route.keyed.get(ownKey(i));
    let anchor: number | null = null;
    let take: number | null = null;
    let claimed = false;
    if (own?.row) {
      // A repeat goes with its row (which the prefetch locks); a late original with the marker row
      // it adopts (its card is only locked there, and row locks on another node do not make Citus
      // commit in two phases), its claim then marked done.
      anchors.set(i, own.id);
      if (own.status === 'marker') i.claim = { id: own.id, markerId: null };
      ready.push(i);
      continue;
    }
    if (own && i.claim?.id === own.id) [anchor, claimed] = [own.id, true]; // this daemon's claim (a deferred message)
    else if (own && !own.stale) {
      busy.push(i);
      continue;
    } else if (own) [anchor, take] = [own.id, own.id];
    let marker: Ask['marker'] = null;
    if (namesOriginal(i)) {
      const orig = route.keyed.get(originalKey(i));
      const ownMarker = orig !== undefined && i.claim?.markerId === orig.id;
      if (orig && !orig.row && !ownMarker) {
        if (!orig.stale) {
          deferred.push(i); // the original (or another reversal's marker) is being written
          continue;
        }
        if (i.msg.type === 'reversal') marker = { take: orig.id };
      } else if (!orig && i.msg.type === 'reversal' && !claimed) marker = { take: null };
      if (anchor === null && orig?.row && i.handler.needs.card === 'original') anchor = orig.id;
      if (anchor === null && (ownMarker || marker?.take != null)) anchor = orig!.id;
    }
    if (anchor === null && namesCard(i)) anchor = route.cardByToken.get(tokens.get(i.msg.card!)!.toString('hex')) ?? null;
    if (anchor === null && namesOriginal(i)) anchor = route.keyed.get(originalKey(i))?.row ? route.keyed.get(originalKey(i))!.id : null;
    anchors.set(i, anchor);
    ready.push(i);
    if (!claimed) asks.push({ item: i, take, marker });
  }
  const groups = groupByShard(ready, (i) => {
    const id = anchors.get(i) ?? null;
    return id === null ? null : route.shardOf.get(id) ?? null;
  }, route.first);
  const rangeOf = new Map<WorkItem, ShardRange>();
  for (const g of groups) for (const i of g.items) rangeOf.set(i, g.range);

  const refused = new Set<WorkItem>();
  if (asks.length > 0) {
    // Each key in a transaction of its own: a reversal's own key and its original's are on two shards.
    const claim = (a: Ask, marker: boolean) => {
      const r = rangeOf.get(a.item)!;
      const args = marker
        ? [originalChannel(a.item), a.item.msg.originalRequestId, null, r.min, r.max, a.marker!.take, 'marker']
        : [a.item.channel.id, a.item.msg.requestId, a.item.bodyHash, r.min, r.max, a.take, 'pending'];
      return ['begin', execute(CLAIM, args), 'commit'];
    };
    const statements = asks.flatMap((a) => [...claim(a, false), ...(a.marker ? claim(a, true) : [])]);
    type Claimed = { c: { id: number | null; taken: boolean } }[];
    const results = await runFused(client, statements) as Claimed[];
    let n = 0;
    const next = () => {
      const c = results[n + 1]![0]!.c;
      n += 3;
      return c;
    };
    for (const a of asks) {
      const own = next();
      const marker = a.marker ? next() : null;
      if (!own.taken) {
        busy.push(a.item); // another message claimed the key since it was read
        refused.add(a.item);
        continue;
      }
      a.item.claim = { id: own.id!, markerId: marker?.taken ? marker.id : null };
      if (marker && !marker.taken) {
        deferred.push(a.item); // its original was claimed meanwhile: next batch, as a reversal of it
        refused.add(a.item);
      }
    }
  }
  const plans: ShardGroupPlan[] = [];
  for (const g of groups) {
    const reserved: Reserved = { ids: new Map(), markers: new Map() };
    const kept = g.items.filter((i) => !refused.has(i));
    for (const i of kept) {
      if (i.claim && !route.keyed.get(ownKey(i))?.row) reserved.ids.set(i, i.claim.id);
      if (i.claim?.markerId != null) reserved.markers.set(originalKey(i), i.claim.markerId);
    }
    if (kept.length > 0) plans.push({ range: g.range, items: kept, reserved });
  }
  return { groups: plans, deferred, busy };
}

/**
 * After a group's COMMIT, in the same message: each written message's claim marked done, each in
 * a transaction of its own (the claims are on other shards). Bookkeeping only: a claim whose row
 * exists is done whatever its status says.
 */
export function claimsDone(written: readonly WorkItem[]): string[] {
  return written.flatMap((i) => (i.claim ? ['begin', execute(CLAIM_DONE, [i.channel.id, i.msg.requestId, i.claim.id]), 'commit'] : []));
}
