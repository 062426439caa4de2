/** File name without folders and extension, safe in a zip. */
export function fileStem(name: string): string {
  const base = name.replace(/\\/g, '/').split('/').pop() ?? name;
  const dot = base.lastIndexOf('.');
  // no leading dots: a stem is never "." or "..", nor hidden (zip entries and download names are made of it)
  return (dot > 0 ? base.slice(0, dot) : base).replace(/[^\w.-]+/g, '_').replace(/^\.+/, '') || 'image';
}

/** The extension of a file name's last part, lower case, if it is a plain one (".jpg"); else null. */
export function fileExtension(name: string): string | null {
  const base = name.replace(/\\/g, '/').split('/').pop() ?? name;
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(base);
  return m && m.index > 0 ? `.${m[1]!.toLowerCase()}` : null;
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
