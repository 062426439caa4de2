/**
 * Colours for categories and instances: a perceptual palette (OKLab/OKLCh) that gives any number of
 * colours, neighbours in id far apart in hue and lightness, so adjacent ids (neighbouring cars of
 * one image, categories 1 and 2) are easy to tell apart, and 80+ colours stay distinct.
 */

const LIGHTNESS = [0.74, 0.6, 0.84, 0.67];

/** OKLab -> linear sRGB -> gamma-encoded sRGB in [0, 1] (may be out of gamut). */
function oklabToSrgb(L: number, a: number, b: number): [number, number, number] {
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  const lin = [
    4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
    -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
    -0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s,
  ];
  return lin.map((c) => (c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055)) as [number, number, number];
}

/** sRGB in [0, 255] -> OKLab. */
export function srgbToOklab([r, g, b]: readonly [number, number, number]): [number, number, number] {
  const lin = [r, g, b].map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const l = Math.cbrt(0.4122214708 * lin[0]! + 0.5363325363 * lin[1]! + 0.0514459929 * lin[2]!);
  const m = Math.cbrt(0.2119034982 * lin[0]! + 0.6806995451 * lin[1]! + 0.1073969566 * lin[2]!);
  const s = Math.cbrt(0.0883024619 * lin[0]! + 0.2817188376 * lin[1]! + 0.6299787005 * lin[2]!);
  return [
    0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s,
  ];
}

/** Perceptual distance of two sRGB colours (Euclidean in OKLab; ~0.02 is a just-noticeable difference). */
export function colorDistance(a: string, b: string): number {
  const p = srgbToOklab(hexToRgb(a));
  const q = srgbToOklab(hexToRgb(b));
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** In-gamut candidates: four lightness levels, hues every 5°, at full and at 70 % of the chroma sRGB allows. */
function candidates(): { hex: string; lab: [number, number, number] }[] {
  const out: { hex: string; lab: [number, number, number] }[] = [];
  for (const L of LIGHTNESS) {
    for (let deg = 0; deg < 360; deg += 5) {
      const h = (deg * Math.PI) / 180;
      let max = 0;
      for (let C = 0.25; C > 0; C -= 0.0025) {
        if (oklabToSrgb(L, C * Math.cos(h), C * Math.sin(h)).every((v) => v >= 0 && v <= 1)) {
          max = C;
          break;
        }
      }
      for (const C of [max, max * 0.7]) {
        if (C < 0.04) continue;
        const rgb = oklabToSrgb(L, C * Math.cos(h), C * Math.sin(h));
        const hex = `#${rgb
          .map((v) =>
            Math.round(Math.min(1, Math.max(0, v)) * 255)
              .toString(16)
              .padStart(2, '0'),
          )
          .join('')}`;
        out.push({ hex, lab: srgbToOklab(hexToRgb(hex)) });
      }
    }
  }
  return out;
}

const palette: string[] = [];
let pool: { hex: string; lab: [number, number, number] }[] = [];
let minDist: Float64Array = new Float64Array(0);

/** Picks colours until there are `n`: each one the candidate farthest from every colour picked before. */
function grow(n: number): void {
  if (palette.length === 0) {
    pool = candidates();
    minDist = new Float64Array(pool.length).fill(Infinity);
  }
  while (palette.length < n && palette.length < pool.length) {
    let best = 0;
    if (palette.length === 0) {
      // start from a clear red
      let d = Infinity;
      pool.forEach((c, i) => {
        const e = Math.hypot(c.lab[0] - 0.63, c.lab[1] - 0.22, c.lab[2] - 0.12);
        if (e < d) [d, best] = [e, i];
      });
    } else for (let i = 1; i < pool.length; i++) if (minDist[i]! > minDist[best]!) best = i;
    const chosen = pool[best]!;
    palette.push(chosen.hex);
    for (let i = 0; i < pool.length; i++) {
      const c = pool[i]!.lab;
      minDist[i] = Math.min(minDist[i]!, Math.hypot(c[0] - chosen.lab[0], c[1] - chosen.lab[1], c[2] - chosen.lab[2]));
    }
  }
}

/**
 * Colour number `i` (1, 2, ...) as CSS hex. The first few hundred are picked by farthest-point
 * sampling in OKLab (each as far as possible from all before it); beyond that they repeat.
 */
export function paletteColor(i: number): string {
  const k = Math.max(1, Math.floor(i));
  if (palette.length < k) grow(k);
  return palette[(k - 1) % palette.length]!;
}

/** The default colour of a category, by id (CSS hex). */
export function categoryColor(id: number): string {
  return paletteColor(id);
}

/** How many of the best-spread colours instance colours cycle through. */
export const INSTANCE_COLORS = 40;

/**
 * The colour of an annotation when masks are coloured by instance: the first {@link INSTANCE_COLORS}
 * colours in turn (the best spread), so neighbouring ids always differ clearly, however many masks.
 */
export function instanceColor(annotationId: number): string {
  return paletteColor(((((annotationId - 1) % INSTANCE_COLORS) + INSTANCE_COLORS) % INSTANCE_COLORS) + 1);
}

/**
 * The one rule for an annotation's colour, wherever it is drawn (the canvas, the lists, the draft before
 * it is accepted): its instance colour, or its category's.
 */
export function annotationColor(colorBy: 'instance' | 'category', annotationId: number, categoryColor: string | undefined): string {
  return colorBy === 'instance' ? instanceColor(annotationId) : (categoryColor ?? '#ffffff');
}

const inks = new Map<string, '#000000' | '#ffffff'>();

/** Black or white, whichever reads better on `hex` (labels, outline halos). */
export function contrastingInk(hex: string): '#000000' | '#ffffff' {
  // asked for every outline and label drawn: a project has few colours, each computed once
  let ink = inks.get(hex);
  if (ink === undefined) {
    ink = srgbToOklab(hexToRgb(hex))[0] > 0.65 ? '#000000' : '#ffffff';
    if (inks.size > 4096) inks.clear();
    inks.set(hex, ink);
  }
  return ink;
}
