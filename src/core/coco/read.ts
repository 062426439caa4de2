/**
 * Reading helpers shared by the importers of COCO-style JSON (COCO, its video fields, YouTube-VIS):
 * own-property access, what a value is in words, and the error that names the bad field.
 */
import { rleCountsFromString, rleStringFromCounts, type CocoRle } from '../mask/rle.ts';

/** A file that cannot be imported; `path` names the field, e.g. `annotations[3].segmentation`. */
export class CocoFormatError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'CocoFormatError';
  }
}

export type Json = unknown;

export function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function field(o: Record<string, Json>, key: string): Json {
  // own properties only: '__proto__' and friends in a file are plain data, never prototypes
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

export function describe(v: Json): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

export function integer(o: Record<string, Json>, key: string, path: string, min = 0): number {
  const v = field(o, key);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new CocoFormatError(`${path}.${key}`, `expected an integer ≥ ${min}, found ${describe(v)}`);
  }
  return v;
}

export function array(o: Record<string, Json>, key: string, path: string): Json[] {
  const v = field(o, key);
  if (!Array.isArray(v)) throw new CocoFormatError(`${path}${path ? '.' : ''}${key}`, `expected an array, found ${describe(v)}`);
  return v;
}

/**
 * An RLE object (`{size, counts}`) of a `width` x `height` image, compressed (string counts) or not
 * (an array of run lengths), checked (its size, its runs covering the image exactly) and returned
 * compressed. `path` names the RLE object in the errors.
 */
export function readRle(seg: Record<string, Json>, width: number, height: number, path: string): CocoRle {
  const size = field(seg, 'size');
  if (!Array.isArray(size) || size.length !== 2 || size[0] !== height || size[1] !== width) {
    throw new CocoFormatError(
      `${path}.size`,
      `expected [${height}, ${width}] (the image's [height, width]), found ${describe(size)}${Array.isArray(size) ? ` [${size.join(', ')}]` : ''}`,
    );
  }
  const counts = field(seg, 'counts');
  let numbers: number[];
  if (typeof counts === 'string') {
    try {
      numbers = rleCountsFromString(counts);
    } catch (e) {
      throw new CocoFormatError(`${path}.counts`, (e as Error).message);
    }
  } else if (Array.isArray(counts)) {
    numbers = counts.map((c, k) => {
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 0)
        throw new CocoFormatError(`${path}.counts[${k}]`, `expected a non-negative integer, found ${describe(c)}`);
      return c;
    });
  } else {
    throw new CocoFormatError(`${path}.counts`, `expected an RLE string or an array of run lengths, found ${describe(counts)}`);
  }
  let total = 0;
  for (const c of numbers) {
    if (c < 0) throw new CocoFormatError(`${path}.counts`, 'a run length is negative');
    total += c;
  }
  if (total !== width * height) {
    throw new CocoFormatError(`${path}.counts`, `the runs cover ${total} pixels, the ${width}x${height} image has ${width * height}`);
  }
  return { size: [height, width], counts: rleStringFromCounts(numbers) };
}
