/**
 * The first key repeated within one JSON object of `text`, or null. `text` must already be valid
 * JSON (JSON.parse keeps the last duplicate silently; design §5 makes a duplicate key an error).
 */
export function duplicateKey(text: string): string | null {
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '{') stack.push(new Set());
    else if (ch === '[') stack.push(null);
    else if (ch === '}' || ch === ']') stack.pop();
    else if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const token = text.slice(i, j + 1);
      let k = j + 1;
      while (/\s/.test(text[k] ?? '')) k++;
      const keys = stack[stack.length - 1];
      if (text[k] === ':' && keys) {
        const key = JSON.parse(token) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = j;
    }
  }
  return null;
}
