/**
 * Reads the input and output names of an ONNX model file without loading it: the protobuf is walked
 * field by field and every large field (weights, nodes) is skipped by its length, so a 1 GB encoder
 * costs a few reads, not 1 GB of memory. Tells a truncated file and a file that is not ONNX apart,
 * naming what was found. Pure: the bytes come from a `ByteSource` (a File in the browser, a buffer
 * in tests).
 */

export interface ByteSource {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export type OnnxScan =
  | { ok: true; inputNames: string[]; outputNames: string[]; irVersion: number; producer: string; externalData: boolean }
  | { ok: false; reason: 'truncated' | 'not-onnx'; detail: string };

/** A byte source over bytes in memory. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (o, n) => Promise.resolve(bytes.subarray(o, Math.min(bytes.length, o + n))) };
}

/** bytes read at a time: headers sit between weights, so a read is mostly a jump ahead */
const WINDOW = 64 << 10;

class ScanError extends Error {
  constructor(
    readonly reason: 'truncated' | 'not-onnx',
    detail: string,
  ) {
    super(detail);
  }
}

/** A forward reader over a byte source, reading a window at a time. */
class Reader {
  pos = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private bufAt = 0;
  constructor(private readonly src: ByteSource) {}

  private async byte(): Promise<number> {
    if (this.pos >= this.src.size) throw new ScanError('truncated', `the file ends at byte ${this.src.size} in the middle of a field`);
    if (this.pos < this.bufAt || this.pos >= this.bufAt + this.buf.length) {
      this.bufAt = this.pos;
      this.buf = await this.src.read(this.pos, WINDOW);
      if (this.buf.length === 0) throw new ScanError('truncated', `the file could not be read at byte ${this.pos}`);
    }
    return this.buf[this.pos++ - this.bufAt]!;
  }

  async varint(): Promise<number> {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = await this.byte();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    throw new ScanError('not-onnx', `a malformed number at byte ${this.pos}`);
  }

  async bytes(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = await this.byte();
    return out;
  }

  /** the end of a length-delimited field of `n` bytes starting here, checked against the file and `limit` */
  end(n: number, limit: number, what: string): number {
    const end = this.pos + n;
    if (end > this.src.size) {
      throw new ScanError('truncated', `its ${what} runs to byte ${end} but the file has only ${this.src.size} bytes`);
    }
    if (end > limit) throw new ScanError('not-onnx', `a field at byte ${this.pos} runs past the message holding it`);
    return end;
  }
}

interface Field {
  no: number;
  wire: number;
  /** varint value, or the length of a length-delimited field */
  value: number;
}

async function field(r: Reader, limit: number): Promise<Field> {
  const at = r.pos;
  const key = await r.varint();
  const no = Math.floor(key / 8);
  const wire = key % 8;
  if (no === 0 || (wire !== 0 && wire !== 1 && wire !== 2 && wire !== 5))
    throw new ScanError('not-onnx', `byte ${at} is not the start of a protobuf field`);
  if (wire === 0 || wire === 2) return { no, wire, value: await r.varint() };
  const n = wire === 1 ? 8 : 4;
  r.pos = r.end(n, limit, 'number');
  return { no, wire, value: 0 };
}

/** Moves past a field's payload. */
function skip(r: Reader, f: Field, limit: number, what: string): void {
  if (f.wire === 2) r.pos = r.end(f.value, limit, what);
}

const decoder = new TextDecoder();

async function text(r: Reader, f: Field, limit: number): Promise<string> {
  if (f.wire !== 2) throw new ScanError('not-onnx', `a name at byte ${r.pos} is not text`);
  const end = r.end(f.value, limit, 'name');
  if (f.value > 4096) throw new ScanError('not-onnx', `a name at byte ${r.pos} is ${f.value} bytes long`);
  const s = decoder.decode(await r.bytes(f.value));
  r.pos = end;
  return s;
}

/** ValueInfoProto: its name (field 1). */
async function valueInfoName(r: Reader, end: number): Promise<string> {
  let name = '';
  while (r.pos < end) {
    const f = await field(r, end);
    if (f.no === 1) name = await text(r, f, end);
    else skip(r, f, end, 'value info');
  }
  return name;
}

/** TensorProto: its name (field 8) and whether its data lives in another file (field 14 = 1). */
async function tensorInfo(r: Reader, end: number): Promise<{ name: string; external: boolean }> {
  let name = '';
  let external = false;
  while (r.pos < end) {
    const f = await field(r, end);
    if (f.no === 8) name = await text(r, f, end);
    else if (f.no === 14 && f.wire === 0) external = f.value === 1;
    else skip(r, f, end, 'weights');
  }
  return { name, external };
}

/**
 * The graph's inputs (less those that are weights: older exports list every initializer as an input,
 * as onnxruntime's `inputNames` does not) and outputs.
 */
export async function scanOnnx(src: ByteSource): Promise<OnnxScan> {
  const r = new Reader(src);
  try {
    if (src.size < 16) throw new ScanError('not-onnx', `it has only ${src.size} bytes`);
    let irVersion = 0;
    let producer = '';
    let graph: { inputs: string[]; outputs: string[]; weights: Set<string>; external: boolean } | null = null;
    let fields = 0;
    while (r.pos < src.size) {
      const f = await field(r, src.size);
      fields++;
      if (f.no === 1 && f.wire === 0) irVersion = f.value;
      else if (f.no === 2 && f.wire === 2) producer = await text(r, f, src.size);
      else if (f.no === 7 && f.wire === 2) {
        const end = r.end(f.value, src.size, 'graph');
        graph = { inputs: [], outputs: [], weights: new Set(), external: false };
        while (r.pos < end) {
          const g = await field(r, end);
          if ((g.no === 11 || g.no === 12) && g.wire === 2) {
            const name = await valueInfoName(r, r.end(g.value, end, 'graph input/output'));
            (g.no === 11 ? graph.inputs : graph.outputs).push(name);
          } else if (g.no === 5 && g.wire === 2) {
            const t = await tensorInfo(r, r.end(g.value, end, 'weights'));
            graph.weights.add(t.name);
            graph.external ||= t.external;
          } else skip(r, g, end, g.no === 1 ? 'node list' : 'graph');
        }
      } else if (f.wire === 2) skip(r, f, src.size, 'data');
      else if (f.no > 100) throw new ScanError('not-onnx', `field ${f.no} at the start is no ONNX model field`);
      if (fields === 1 && f.no !== 1 && f.no !== 2 && f.no !== 7 && f.no !== 8)
        throw new ScanError('not-onnx', 'it does not start like an ONNX model (no ir_version, producer or graph)');
    }
    if (!graph) throw new ScanError('not-onnx', 'it holds no model graph');
    if (irVersion === 0) throw new ScanError('not-onnx', 'it has no ONNX ir_version');
    const weights = graph.weights;
    return {
      ok: true,
      inputNames: graph.inputs.filter((n) => !weights.has(n)),
      outputNames: graph.outputs,
      irVersion,
      producer,
      externalData: graph.external,
    };
  } catch (e) {
    if (e instanceof ScanError) return { ok: false, reason: e.reason, detail: e.message };
    throw e;
  }
}
