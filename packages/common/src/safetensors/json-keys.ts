/**
 * Duplicate keys in JSON text. `JSON.parse` keeps the last of two equal keys without a word, so
 * a header naming a tensor twice would load one of them silently; the reference library's
 * parser rejects it. This scanner walks already-valid JSON and reports the first repeated key.
 */

/** The first key that occurs twice in one object of `text` (valid JSON), with its object path. */
export function findDuplicateKey(text: string): { key: string; path: string[] } | undefined {
  // One frame per open container: the keys seen (objects only) and the key that leads to it.
  const stack: { keys: Set<string> | undefined; name: string; lastKey: string }[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i, j + 1);
      i = j + 1;
      while (i < n && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
      const top = stack[stack.length - 1];
      if (text[i] === ':' && top?.keys) {
        const key = JSON.parse(raw) as string;
        if (top.keys.has(key)) return { key, path: stack.slice(1).map((f) => f.name) };
        top.keys.add(key);
        top.lastKey = key;
      }
      continue;
    }
    if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      const name = parent === undefined ? '' : parent.keys ? parent.lastKey : '[]';
      stack.push({ keys: c === '{' ? new Set() : undefined, name, lastKey: '' });
    } else if (c === '}' || c === ']') stack.pop();
    i++;
  }
  return undefined;
}
