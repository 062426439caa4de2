/**
 * ONNX models read and written with protobufjs and ONNX's own schema (the static module that
 * onnxruntime-web ships), for the project's graph rewrites (decoder candidates, int8 decoder).
 * No byte is parsed by hand.
 */
import { createRequire } from 'node:module';

// the parts of ONNX's generated protobufjs classes the rewrites use
export interface AttributeProto {
  name: string;
  type: number;
  i?: number | { toNumber(): number };
}
export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute: AttributeProto[];
  domain?: string;
}
export interface ValueInfoProto {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim: { dimValue?: unknown; dimParam?: string }[] } } };
}
export interface TensorProto {
  name: string;
  dims: (number | { toNumber(): number })[];
  dataType: number;
  rawData?: Uint8Array;
  floatData?: number[];
}
export interface GraphProto {
  node: NodeProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  initializer: TensorProto[];
}
export interface ModelProto {
  graph: GraphProto;
  metadataProps: { key: string; value: string }[];
  opsetImport: { domain?: string; version: number | { toNumber(): number } }[];
}
export interface OnnxSchema {
  ModelProto: {
    decode(b: Uint8Array): ModelProto;
    encode(m: ModelProto): { finish(): Uint8Array };
  };
  NodeProto: { create(p: Partial<NodeProto>): NodeProto };
  AttributeProto: { create(p: AttributeProto): AttributeProto };
  TensorProto: { create(p: TensorProto): TensorProto };
  ValueInfoProto: { create(p: object): ValueInfoProto };
  TypeProto: { create(p: object): NonNullable<ValueInfoProto['type']> };
  StringStringEntryProto: { create(p: { key: string; value: string }): { key: string; value: string } };
}

/** ONNX's TensorProto.DataType values used here */
export const ONNX_FLOAT = 1;
export const ONNX_UINT8 = 2;
export const ONNX_INT8 = 3;
/** AttributeProto.AttributeType.INT */
export const ONNX_ATTR_INT = 2;

let schema: OnnxSchema | null = null;
/** ONNX's protobuf schema compiled for protobufjs, as onnxruntime-web ships it. */
export function onnxSchema(): OnnxSchema {
  if (!schema) {
    const require = createRequire(import.meta.url);
    // the package's `exports` do not list this file: find the package root from its main entry
    const main = require.resolve('onnxruntime-web');
    const root = main.slice(0, main.lastIndexOf('onnxruntime-web') + 'onnxruntime-web/'.length);
    schema = (require(`${root}lib/onnxjs/ort-schema/protobuf/onnx.js`) as { onnx: OnnxSchema }).onnx;
  }
  return schema;
}

/** A protobuf int64 (a Long or a number) as a number. */
export function toNumber(v: number | { toNumber(): number }): number {
  return typeof v === 'number' ? v : v.toNumber();
}

/** The float32 values of an initializer (raw little-endian bytes or `float_data`). */
export function floatValues(t: TensorProto): Float32Array {
  if (t.dataType !== ONNX_FLOAT) throw new Error(`initializer ${t.name} is not float32`);
  if (t.rawData && t.rawData.length > 0) {
    // copy: the raw bytes are a view into the file at any alignment
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}
