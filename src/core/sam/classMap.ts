/**
 * Class id -> category name mapping of a coarse model's label maps, written as `1=person, 2=car`
 * (also `1: person`, one per line) or as JSON (`{"1": "person"}`, or `["background", "person"]` where
 * the index is the id). Throws, naming the bad entry, on anything else.
 */
export function parseClassMap(text: string): Map<number, string> {
  const out = new Map<number, string>();
  const t = text.trim();
  if (!t) return out;
  const put = (k: string | number, v: unknown, where: string) => {
    const id = typeof k === 'number' ? k : Number(k.trim());
    if (!Number.isInteger(id) || id < 0 || id > 65535) throw new Error(`${where}: class id "${k}" is not an integer in 0..65535`);
    if (typeof v !== 'string' || !v.trim()) throw new Error(`${where}: class ${id} needs a category name`);
    out.set(id, v.trim());
  };
  if (t.startsWith('{') || t.startsWith('[')) {
    let data: unknown;
    try {
      data = JSON.parse(t);
    } catch (e) {
      throw new Error(`the class map is not valid JSON (${(e as Error).message})`, { cause: e });
    }
    if (Array.isArray(data)) data.forEach((v, i) => v !== null && v !== '' && put(i, v, `entry ${i}`));
    else for (const [k, v] of Object.entries(data as Record<string, unknown>)) put(k, v, `entry "${k}"`);
    return out;
  }
  for (const part of t.split(/[,\n;]/)) {
    if (!part.trim()) continue;
    const m = /^\s*([^=:]+?)\s*[=:]\s*(.*)$/.exec(part);
    if (!m) throw new Error(`"${part.trim()}": expected id=name, e.g. 1=person`);
    put(m[1]!, m[2], `"${part.trim()}"`);
  }
  return out;
}
