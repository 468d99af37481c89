import type pg from 'pg';

/**
 * Names for the transaction and entry ids of one database that are the same on the other: on the
 * cluster (design §9) ids are drawn into their card's shard, so the same traffic gets other numbers
 * (and another id order) than on a single server. A transaction is named by its request id, an
 * entry by its kind, its transaction's name and its rank among the entries of both.
 */
export interface IdLabels { txn: Map<number, string>; entry: Map<number, string> }

export async function idLabels(db: pg.Pool): Promise<IdLabels> {
  const { rows: txns } = await db.query<{ id: number; request_id: string }>('select id, request_id from transactions');
  const txn = new Map(txns.map((t) => [Number(t.id), `txn ${t.request_id}`]));
  const { rows: entries } = await db.query<{ id: number; kind: string; transaction_id: number | null }>(
    'select id, kind, transaction_id from entries order by id');
  const seen = new Map<string, number>();
  const entry = new Map<number, string>();
  for (const e of entries) {
    const base = `entry ${e.kind} of ${e.transaction_id === null ? 'none' : txn.get(Number(e.transaction_id)) ?? '?'}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    entry.set(Number(e.id), `${base} #${n}`);
  }
  return { txn, entry };
}

const isTxnKey = (key: string) => key === 'original_id' || key.endsWith('transaction_id');

/**
 * `value` with transaction and entry ids replaced by their names: under the keys that hold them, the
 * `id` of a transaction (an object with a request_id and a response_code) or of a load row (by its source), and in
 * paths and audit targets (`/transactions/7`, `transaction:7`). Arrays of transactions are sorted
 * by name: a page in id order lists them in another order on the cluster.
 */
export function relabel(value: unknown, l: IdLabels): unknown {
  const name = (m: Map<number, string>, v: unknown) => (typeof v === 'number' && m.has(v) ? m.get(v) : v);
  return JSON.parse(JSON.stringify(value), function (this: Record<string, unknown>, key: string, v: unknown) {
    if (isTxnKey(key)) return name(l.txn, v);
    if (key === 'entry_id') return name(l.entry, v);
    if (key === 'id' && (('request_id' in this && 'response_code' in this) || this.source === 'transaction')) return name(l.txn, v);
    if (key === 'id' && this.source === 'file') return name(l.entry, v);
    if (typeof v === 'string') {
      return v.replace(/(\/transactions\/|transaction:)(\d+)/g, (_m, p: string, id: string) => `${p}${l.txn.get(Number(id)) ?? id}`);
    }
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'object' && x !== null && 'request_id' in x && 'response_code' in x)) {
      return [...v].sort((a, b) => String(a.id).localeCompare(String(b.id)));
    }
    return v;
  });
}
