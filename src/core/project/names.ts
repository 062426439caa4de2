/** Names that tell projects apart. */

/** `base`, or `base 2`, `base 3`... whichever no name in `taken` has (case and surrounding spaces ignored). */
export function uniqueName(base: string, taken: Iterable<string>): string {
  const used = new Set([...taken].map((n) => n.trim().toLowerCase()));
  if (!used.has(base.trim().toLowerCase())) return base;
  for (let k = 2; ; k++) {
    const name = `${base} ${k}`;
    if (!used.has(name.toLowerCase())) return name;
  }
}
