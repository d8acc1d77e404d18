// Orderings shared by everything that prints or serialises sorted names, so output is the same on
// every machine and matches Python's sorted() (saved_model_cli sorts keys with it).

/**
 * Compares strings by Unicode code point, as Python's str ordering does. JavaScript's `<` compares
 * UTF-16 code units, which orders astral characters (surrogate pairs) before U+E000..U+FFFF.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    // A surrogate stands for a code point above U+FFFF, so it sorts after any BMP unit.
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Python's ordering of lists of strings (element-wise, then shorter first). */
export function byCodePointList(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = byCodePoint(a[i] as string, b[i] as string);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}
