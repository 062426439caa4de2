/** Connected parts of binary masks (4-connectivity): labelling, SAM's small-region clean-up, merging. */

/** 4-connected component labels of the object pixels (0 = background). */
export function labelComponents(mask: ArrayLike<number>, width: number, height: number): { labels: Int32Array; count: number } {
  const n = width * height;
  const labels = new Int32Array(n);
  let count = 0;
  let stack = new Int32Array(1024);
  for (let i = 0; i < n; i++) {
    if (!mask[i] || labels[i]) continue;
    count++;
    labels[i] = count;
    let sp = 0;
    stack[sp++] = i;
    while (sp > 0) {
      const p = stack[--sp]!;
      const x = p % width;
      if (sp + 4 > stack.length) {
        const bigger = new Int32Array(stack.length * 2);
        bigger.set(stack);
        stack = bigger;
      }
      if (x > 0 && mask[p - 1] && !labels[p - 1]) {
        labels[p - 1] = count;
        stack[sp++] = p - 1;
      }
      if (x < width - 1 && mask[p + 1] && !labels[p + 1]) {
        labels[p + 1] = count;
        stack[sp++] = p + 1;
      }
      if (p >= width && mask[p - width] && !labels[p - width]) {
        labels[p - width] = count;
        stack[sp++] = p - width;
      }
      if (p + width < n && mask[p + width] && !labels[p + width]) {
        labels[p + width] = count;
        stack[sp++] = p + width;
      }
    }
  }
  return { labels, count };
}

/**
 * SAM's `remove_small_regions`: with `mode` 'holes', background regions smaller than `minArea`
 * that do not touch the image border are filled; with 'islands', object parts smaller than
 * `minArea` are removed (4-connectivity). Returns a new mask and whether anything changed.
 */
export function removeSmallRegions(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  minArea: number,
  mode: 'holes' | 'islands',
): { mask: Uint8Array; changed: boolean } {
  const target = mode === 'holes' ? 0 : 1;
  const sel = new Uint8Array(width * height);
  for (let i = 0; i < sel.length; i++) sel[i] = (mask[i] ? 1 : 0) === target ? 1 : 0;
  const { labels, count } = labelComponents(sel, width, height);
  const area = new Int32Array(count + 1);
  const border = new Uint8Array(count + 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const l = labels[y * width + x]!;
      if (!l) continue;
      area[l]!++;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) border[l] = 1;
    }
  }
  const out = new Uint8Array(width * height);
  let changed = false;
  for (let i = 0; i < out.length; i++) {
    const l = labels[i]!;
    const small = l > 0 && area[l]! < minArea && !(mode === 'holes' && border[l]);
    out[i] = small ? 1 - target : mask[i] ? 1 : 0;
    if (small) changed = true;
  }
  return { mask: out, changed };
}

/** Union (or intersection) of equally sized row-major masks. */
export function mergeMasks(masks: readonly ArrayLike<number>[], intersect = false): Uint8Array {
  const n = masks[0]?.length ?? 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let v = intersect ? 1 : 0;
    for (const m of masks) {
      if (m.length !== n) throw new RangeError('masks differ in size');
      v = intersect ? v & (m[i] ? 1 : 0) : v | (m[i] ? 1 : 0);
    }
    out[i] = v;
  }
  return out;
}
