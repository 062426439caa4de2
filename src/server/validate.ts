/**
 * Schemas of everything a client sends (zod), with size limits. Records are checked strictly
 * (unknown keys refused), masks are checked to be well-formed COCO RLE of their image's size.
 */
import { z } from 'zod';
import { rleCountsFromString } from '../core/mask/rle.ts';
import { COLLECTIONS, type Collection } from '../core/project/changes.ts';
import { MAX_PUSH_OPS } from '../core/sync/protocol.ts';

const id = z.number().int().min(1).max(2_147_483_647);
const side = z.number().int().min(1).max(100_000);
const finite = z.number().finite();
const count = z.number().int().min(0).max(1e12);
const bbox = z.tuple([finite, finite, finite, finite]);
const shortText = z.string().max(1024);

const rle = z
  .strictObject({
    size: z.tuple([side, side]),
    counts: z
      .string()
      .max(16_000_000)
      .regex(/^[0-o]*$/, 'counts must be COCO compressed RLE (characters 0 to o)'),
  })
  .superRefine((r, ctx) => {
    // the shape checks above may have failed already (zod still runs this): decode only what they let through
    if (!/^[0-o]*$/.test(r.counts ?? '') || !Array.isArray(r.size)) return;
    let runs: number[];
    try {
      runs = rleCountsFromString(r.counts);
    } catch (e) {
      // a string cut in the middle of a count, a count too long
      ctx.addIssue({ code: 'custom', message: `malformed RLE: ${(e as Error).message}` });
      return;
    }
    let total = 0;
    for (const n of runs) {
      if (!(n >= 0)) {
        ctx.addIssue({ code: 'custom', message: 'malformed RLE: a negative run' });
        return;
      }
      total += n;
    }
    if (total !== r.size[0] * r.size[1])
      ctx.addIssue({
        code: 'custom',
        message: `malformed RLE: its runs cover ${total} pixels, its size ${r.size[0]}x${r.size[1]} has ${r.size[0] * r.size[1]}`,
      });
  });

const prompts = z.strictObject({
  points: z.array(z.strictObject({ x: finite, y: finite, positive: z.boolean() })).max(1000),
  box: z.strictObject({ x0: finite, y0: finite, x1: finite, y1: finite }).nullable(),
});

export const RECORD_SCHEMAS = {
  images: z.strictObject({
    id,
    fileName: z.string().min(1).max(1024),
    width: side,
    height: side,
    done: z.boolean().optional(),
    cocoId: z.number().int().optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    video: z
      .strictObject({
        id,
        name: z.string().min(1).max(1024),
        frame: z.number().int().min(0).max(10_000_000),
        fps: finite.positive().nullable(),
      })
      .optional(),
  }),
  categories: z.strictObject({
    id,
    name: z.string().min(1).max(200),
    color: z.string().regex(/^#[0-9a-fA-F]{6}$/),
    cocoId: z.number().int().optional(),
  }),
  annotations: z.strictObject({
    id,
    imageId: id,
    categoryId: id,
    segmentation: rle,
    area: count,
    bbox,
    score: finite.nullable(),
    prompts,
    source: shortText,
    iscrowd: z.boolean().optional(),
    timeMs: count.optional(),
    clicks: count.optional(),
    strokes: count.optional(),
    createdAt: finite,
    review: z.enum(['pending', 'accepted']).optional(),
    model: shortText.optional(),
    coco: z
      .strictObject({
        id: z.number().int(),
        area: finite.optional(),
        bbox: bbox.optional(),
        extra: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
    trackId: id.optional(),
    track: z.enum(['key', 'propagated', 'interpolated']).optional(),
    flag: z.enum(['lost', 'abrupt', 'uncertain']).optional(),
  }),
  pendingBoxes: z.strictObject({ id, imageId: id, categoryId: id, bbox }),
  skipped: z.strictObject({ id, imageId: id, timeMs: count, clicks: count, strokes: count, at: finite }),
} satisfies Record<Collection, z.ZodType>;

export const collection = z.enum(COLLECTIONS as [Collection, ...Collection[]]);

const op = z
  .strictObject({
    opId: z.string().min(1).max(100),
    coll: collection,
    id,
    baseRev: z.number().int().min(0).nullable(),
    data: z.unknown(),
  })
  .superRefine((o, ctx) => {
    if (o.data === null) return;
    const r = RECORD_SCHEMAS[o.coll].safeParse(o.data);
    if (!r.success) {
      for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: ['data', ...issue.path] });
      return;
    }
    if ((r.data as { id: number }).id !== o.id)
      ctx.addIssue({ code: 'custom', message: 'data.id differs from the operation id', path: ['data', 'id'] });
  });

export const pushBody = z.strictObject({
  clientId: z.string().min(1).max(100),
  ops: z.array(op).min(1).max(MAX_PUSH_OPS),
});

/** A push's frame; its operations are checked by {@link parseOpsInSlices}, a slice at a time. */
export const pushFrame = z.strictObject({
  clientId: z.string().min(1).max(100),
  ops: z.array(z.unknown()).min(1).max(MAX_PUSH_OPS),
});

/** How long operations are checked before the event loop is given back (other requests are answered in between). */
const SLICE_MS = 15;

/**
 * A push's operations checked as {@link pushBody} checks them, a slice at a time, yielding to the event
 * loop between slices: a 20 MB push (masks decoded to check their runs) no longer holds every other
 * request for seconds. Throws the issues as `pushBody` would report them.
 */
export async function parseOpsInSlices(ops: readonly unknown[]): Promise<z.infer<typeof op>[]> {
  const out: z.infer<typeof op>[] = [];
  const issues: string[] = [];
  let slice = performance.now();
  for (let k = 0; k < ops.length && issues.length <= 5; k++) {
    // by time, not by count: one detailed mask takes milliseconds to check, a category microseconds
    if (performance.now() - slice > SLICE_MS) {
      await new Promise<void>((r) => setImmediate(r));
      slice = performance.now();
    }
    const r = op.safeParse(ops[k]);
    if (r.success) out.push(r.data);
    else for (const issue of r.error.issues) issues.push(`ops.${[k, ...issue.path].join('.')}: ${issue.message}`);
  }
  if (issues.length) throw new OpsError(issues);
  return out;
}

export class OpsError extends Error {
  constructor(readonly issues: string[]) {
    super(issues.join('; '));
  }
}

/**
 * Whether JSON text nests arrays and objects deeper than `max` levels, by one linear scan (strings
 * skipped): a body nested millions of levels deep is refused before `JSON.parse` spends seconds on it.
 */
export function exceedsJsonDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: the next character is escaped
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

export const loginBody = z.strictObject({ username: z.string().min(1).max(100), password: z.string().min(1).max(1000) });
export const username = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}._@-]+$/u, 'a user name is letters, digits and . _ @ -');
const newPassword = z.string().min(8, 'a password has at least 8 characters').max(1000);
export const passwordChangeBody = z.strictObject({ current: z.string().min(1).max(1000), password: newPassword });
export const passwordResetBody = z.strictObject({ password: newPassword });
export const newUserBody = z.strictObject({
  username,
  password: z.string().min(8, 'a password has at least 8 characters').max(1000),
  isAdmin: z.boolean().optional(),
});
export const projectBody = z.strictObject({ name: z.string().trim().min(1).max(200) });
export const memberBody = z.strictObject({ username, role: z.enum(['admin', 'annotator', 'reviewer']) });
export const idsBody = z.strictObject({ coll: collection, count: z.number().int().min(1).max(100_000) });

/** JSON bodies: the most bytes one may have. */
export const BODY_LIMITS = { small: 64 * 1024, push: 32 * 1024 * 1024, file: 256 * 1024 * 1024, import: 256 * 1024 * 1024 };

/** A COCO file's outer shape (the app's parser checks the rest and names the first bad field). */
export const cocoBody = z.looseObject({
  images: z.array(z.unknown()),
  annotations: z.array(z.unknown()).optional(),
  categories: z.array(z.unknown()),
});

/** A key no body may have anywhere: it would turn into a prototype when merged by careless code. */
export function findForbiddenKey(v: unknown, depth = 0): string | null {
  if (depth > 64) return 'nesting deeper than 64 levels';
  // PostgreSQL stores no NUL in text or JSON: refused here with a reason, not a 500 from the database
  if (typeof v === 'string') return v.includes('\u0000') ? 'a text with the NUL character (\\u0000)' : null;
  if (Array.isArray(v)) {
    for (const x of v) {
      const f = findForbiddenKey(x, depth + 1);
      if (f) return f;
    }
  } else if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      if (k === '__proto__' || k === 'constructor' || k === 'prototype') return `a key named "${k}"`;
      if (k.includes('\u0000')) return 'a key with the NUL character (\\u0000)';
      const f = findForbiddenKey((v as Record<string, unknown>)[k], depth + 1);
      if (f) return f;
    }
  }
  return null;
}

const jobState = z.enum(['new', 'annotating', 'in_review', 'done', 'rejected']);
export const newJobsBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    imageIds: z.array(id).min(1).max(100_000).optional(),
    split: z
      .discriminatedUnion('by', [
        z.strictObject({ by: z.literal('count'), size: z.number().int().min(1).max(100_000) }),
        z.strictObject({ by: z.literal('folder') }),
      ])
      .optional(),
    filter: z
      .strictObject({
        name: z.string().trim().max(200).optional(),
        has: z.enum(['nothing', 'proposals', 'annotations']).optional(),
      })
      .optional(),
    annotators: z.array(username).max(1000),
    reviewer: username.nullable().optional(),
  })
  .refine((b) => !(b.imageIds && b.split), 'give imageIds or split, not both')
  .refine((b) => !(b.imageIds && b.filter), 'a filter picks images of a split, not of imageIds');
export const reassignBody = z
  .strictObject({ annotator: username.nullable().optional(), reviewer: username.nullable().optional() })
  .refine((b) => b.annotator !== undefined || b.reviewer !== undefined, 'give annotator and/or reviewer');
export const moveBody = z.strictObject({ to: jobState, comment: z.string().max(2000).optional() });
export const reviewBody = z.strictObject({
  annotationId: id,
  decision: z.enum(['accept', 'reject']),
  comment: z.string().max(2000).optional(),
});

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex');
const amgKey = z.enum([
  'pointsPerSide',
  'predIouThresh',
  'stabilityScoreThresh',
  'stabilityScoreOffset',
  'boxNmsThresh',
  'cropNLayers',
  'cropNmsThresh',
  'cropOverlapRatio',
  'cropNPointsDownscaleFactor',
  'minMaskRegionArea',
]);
/** A pre-annotation run to queue: the options of the CLI and of the app's batch. */
export const preannotateBody = z
  .strictObject({
    mode: z.enum(['box', 'box-crop', 'auto-box', 'coarse', 'everything']),
    jobId: id.optional(),
    imageIds: z.array(id).min(1).max(100_000).optional(),
    redo: z.boolean().optional(),
    boxPlan: z
      .strictObject({ margin: z.number().min(0).max(5).optional(), minCropSide: z.number().int().min(16).max(4096).optional() })
      .optional(),
    amg: z.partialRecord(amgKey, finite).optional(),
    everythingCategory: z.string().trim().min(1).max(200).optional(),
    coarseFiles: z.record(z.string().regex(/^[1-9]\d{0,9}$/, 'an image id'), sha256).optional(),
    coarse: z
      .strictObject({
        kind: z.enum(['semantic', 'instance']).optional(),
        prompt: z.enum(['box', 'box+points']).optional(),
        minArea: z.number().int().min(0).max(1e9).optional(),
        findPointTimes: z.number().int().min(1).max(1000).optional(),
        positivePoints: z.number().int().min(0).max(20).optional(),
        negativePoints: z.number().int().min(0).max(20).optional(),
      })
      .optional(),
    classMap: z.string().max(100_000).optional(),
    expireSeconds: z.number().int().min(5).max(86_400).optional(),
  })
  .refine((b) => !(b.jobId && b.imageIds), 'give jobId or imageIds, not both')
  .refine((b) => b.mode !== 'coarse' || (b.coarseFiles && Object.keys(b.coarseFiles).length > 0), 'coarse needs coarseFiles');

/** How far outside its image a coordinate may lie (in image sides): prompts just off the edge are fine, 1e300 is not. */
const OUTSIDE = 1;

/**
 * Whether a record fits the image it is on (`image` undefined: there is no such image): a mask of
 * exactly the image's size, boxes, prompt points and areas within a sane range of it. One check
 * for every way records land on the server (pushes, COCO imports, the workers' proposals). Returns
 * what is wrong, or null.
 */
export function recordImageProblem(
  coll: Collection,
  data: Record<string, unknown> | null,
  image: { width: number; height: number } | undefined,
): string | null {
  if (data === null || (coll !== 'annotations' && coll !== 'pendingBoxes' && coll !== 'skipped')) return null;
  const what = `${coll === 'annotations' ? 'annotation' : coll === 'pendingBoxes' ? 'waiting box' : 'skipped object'} ${String(data['id'])}`;
  if (!image) return `${what} is on image ${String(data['imageId'])}, which the project does not have`;
  if (coll === 'skipped') return null;
  const { width: w, height: h } = image;
  const inX = (x: number) => x >= -OUTSIDE * w && x <= w + OUTSIDE * w;
  const inY = (y: number) => y >= -OUTSIDE * h && y <= h + OUTSIDE * h;
  const [x, y, bw, bh] = data['bbox'] as [number, number, number, number];
  if (!(bw >= 0 && bh >= 0)) return `${what} has a box of negative size (${bw}x${bh})`;
  if (!(inX(x) && inY(y) && bw <= w * (1 + 2 * OUTSIDE) && bh <= h * (1 + 2 * OUTSIDE)))
    return `${what}'s box [${[x, y, bw, bh].join(', ')}] lies far outside its ${w}x${h} image`;
  if (coll === 'pendingBoxes') return null;
  const seg = data['segmentation'] as { size: [number, number] };
  if (seg.size[0] !== h || seg.size[1] !== w)
    return `${what}'s mask is ${seg.size[1]}x${seg.size[0]} (width x height), its image ${w}x${h}`;
  const area = data['area'] as number;
  if (!(area >= 0 && area <= w * h)) return `${what}'s area ${area} is not within its ${w}x${h} image`;
  const prompts = data['prompts'] as { points: { x: number; y: number }[]; box: { x0: number; y0: number; x1: number; y1: number } | null };
  const pts = [
    ...prompts.points,
    ...(prompts.box
      ? [
          { x: prompts.box.x0, y: prompts.box.y0 },
          { x: prompts.box.x1, y: prompts.box.y1 },
        ]
      : []),
  ];
  const far = pts.find((p) => !(inX(p.x) && inY(p.y)));
  if (far) return `${what} has a prompt at (${far.x}, ${far.y}), far outside its ${w}x${h} image`;
  return null;
}

/** A propagation run to queue on the workers (`POST /api/projects/:id/tracks/propagate`). */
export const trackPropagateBody = z.strictObject({
  trackId: id,
  fromImageId: id,
  direction: z.union([z.literal(1), z.literal(-1)]),
  until: z.enum(['next-key', 'end']),
  stopOnFlag: z.boolean().optional(),
  /** seconds a worker may go without a heartbeat before its run is given to another (default 120; workers beat every 5 s) */
  stallSeconds: z.number().int().min(30).max(3600).optional(),
});
