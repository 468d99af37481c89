/**
 * The first key that appears twice in one object of a JSON text, or null. JSON.parse keeps the last
 * of two equal keys silently, so `{"amount": 1, "amount": 100000}` would be read as whichever the
 * sender did not mean (design §5: a duplicate key is a 400 naming it). The text must already have
 * parsed as JSON: this only tracks strings, brackets and commas (jumping from quote to quote, since a
 * message is mostly strings), and compares keys as decoded (`"\u0061mount"` is `amount`). Runs on
 * every request: on a purchase it costs about what the JSON.parse before it does.
 */
export function duplicateKey(json: string): string | null {
  /** Keys seen per open object (a list: messages have a dozen keys at most); null for an open array. */
  const open: (string[] | null)[] = [];
  let expectKey = false;
  let i = 0;
  for (;;) {
    const q = json.indexOf('"', i);
    const end = q === -1 ? json.length : q;
    for (let k = i; k < end; k++) {
      const c = json.charCodeAt(k);
      if (c === 0x7b) { // {
        open.push([]);
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
    if (q === -1) return null;
    // The closing quote: the next one not escaped (preceded by an even number of backslashes).
    let j = json.indexOf('"', q + 1);
    for (;;) {
      let b = j - 1;
      while (json.charCodeAt(b) === 0x5c) b--;
      if ((j - 1 - b) % 2 === 0) break;
      j = json.indexOf('"', j + 1);
    }
    if (expectKey) {
      const slash = json.indexOf('\\', q + 1);
      const key = slash !== -1 && slash < j ? (JSON.parse(json.slice(q, j + 1)) as string) : json.slice(q + 1, j);
      const keys = open[open.length - 1]!;
      if (keys.includes(key)) return key;
      keys.push(key);
      expectKey = false;
    }
    i = j + 1;
  }
}
