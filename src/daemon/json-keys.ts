/**
 * The first key that appears twice in one object of a JSON text, or null. JSON.parse keeps the last
 * of two equal keys silently, so `{"amount": 1, "amount": 100000}` would be read as whichever the
 * sender did not mean (design §5: a duplicate key is a 400 naming it). The text must already have
 * parsed as JSON: this walks it once, only tracking strings, brackets and commas, and compares keys
 * as decoded (`"\u0061mount"` is `amount`).
 */
export function duplicateKey(json: string): string | null {
  /** Keys seen per open object; null for an open array. */
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) { // "
      let j = i + 1;
      let escaped = false;
      for (let d = json.charCodeAt(j); d !== 0x22; d = json.charCodeAt(j)) {
        if (d === 0x5c) { // backslash: skip the escaped character
          escaped = true;
          j++;
        }
        j++;
      }
      if (expectKey) {
        const key = escaped ? (JSON.parse(json.slice(i, j + 1)) as string) : json.slice(i + 1, j);
        const keys = open[open.length - 1]!;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b) { // {
      open.push(new Set());
      expectKey = true;
    } else if (c === 0x5b) { // [
      open.push(null);
      expectKey = false;
    } else if (c === 0x7d || c === 0x5d) { // } ]
      open.pop();
      expectKey = false;
    } else if (c === 0x2c) { // ,
      expectKey = open[open.length - 1] != null;
    }
  }
  return null;
}
