/** File name without folders and extension, safe in a zip. */
export function fileStem(name: string): string {
  const base = name.replace(/\\/g, '/').split('/').pop() ?? name;
  const dot = base.lastIndexOf('.');
  return (dot > 0 ? base.slice(0, dot) : base).replace(/[^\w.-]+/g, '_');
}

/** Stems made unique: the second "a" of a project becomes "a_2". */
export function uniqueStems(names: readonly string[]): string[] {
  const used = new Map<string, number>();
  return names.map((n) => {
    const s = fileStem(n);
    const k = (used.get(s) ?? 0) + 1;
    used.set(s, k);
    return k === 1 ? s : `${s}_${k}`;
  });
}
