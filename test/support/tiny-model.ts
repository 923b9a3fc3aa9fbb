// A tiny ONNX model with Kokoro's interface, so tests run inference without the 92 MB model.
//
//   tokens int64 [1, T]   style float32 [1, 256]   speed float32 [1]   ->   audio float32 [T * S]
//
// Sample j of token t (position p = t + 1) is
//   0.1 * sin(x_t * (j + 1) * 0.01),  x_t = 0.37 * token_t + 0.11 * p + 0.5 * speed + mean(style)
// so audio is deterministic, never silent, and differs with token ids, their order, the voice
// and the speed, which lets ordering/resume tests tell chunks apart. Opset 13 ops only, all on
// ONNX Runtime's CPU provider. The protobuf is encoded by hand (field numbers from onnx.proto).
import { writeFileSync } from 'node:fs';

export interface TinyModelNames {
  tokens: string;
  style: string;
  speed: string;
  audio: string;
}

export interface TinyModelOptions {
  samplesPerToken?: number;
  names?: TinyModelNames;
}

export const TINY_DEFAULT_SAMPLES_PER_TOKEN = 600;
export const KOKORO_NAMES: TinyModelNames = { tokens: 'tokens', style: 'style', speed: 'speed', audio: 'audio' };

/** The value the tiny model produces for token index t, sample j (for assertions in tests). */
export function tinyModelSample(tokens: ArrayLike<number>, t: number, j: number, style: ArrayLike<number>, speed: number): number {
  let mean = 0;
  for (let i = 0; i < style.length; i++) mean += style[i]!;
  mean /= style.length;
  const x = 0.37 * tokens[t]! + 0.11 * (t + 1) + 0.5 * speed + mean;
  return 0.1 * Math.sin(x * (j + 1) * 0.01);
}

// ---- protobuf wire format -------------------------------------------------------------

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_BYTES = 2;

function varint(value: number | bigint): Buffer {
  // int64 fields: negative numbers are their 64-bit two's complement.
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const intField = (field: number, v: number | bigint) => Buffer.concat([key(field, WIRE_VARINT), varint(v)]);
function bytesField(field: number, data: Buffer | string): Buffer {
  const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([key(field, WIRE_BYTES), varint(b.length), b]);
}
function floatField(field: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return Buffer.concat([key(field, WIRE_FIXED32), b]);
}
const msg = (...parts: Buffer[]) => Buffer.concat(parts);

// ---- ONNX messages ----------------------------------------------------------------------

const FLOAT = 1;
const INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

/** TensorProto with raw little-endian data. */
function tensor(name: string, type: typeof FLOAT | typeof INT64, dims: number[], values: number[]): Buffer {
  const raw = Buffer.alloc(values.length * (type === FLOAT ? 4 : 8));
  values.forEach((v, i) => (type === FLOAT ? raw.writeFloatLE(v, i * 4) : raw.writeBigInt64LE(BigInt(v), i * 8)));
  return msg(...dims.map((d) => intField(1, d)), intField(2, type), bytesField(8, name), bytesField(9, raw));
}

type Attr = { name: string } & ({ f: number } | { i: number } | { ints: number[] });
function attribute(a: Attr): Buffer {
  if ('f' in a) return msg(bytesField(1, a.name), floatField(2, a.f), intField(20, ATTR_FLOAT));
  if ('i' in a) return msg(bytesField(1, a.name), intField(3, a.i), intField(20, ATTR_INT));
  return msg(bytesField(1, a.name), ...a.ints.map((v) => intField(8, v)), intField(20, ATTR_INTS));
}

function node(op: string, inputs: string[], outputs: string[], attrs: Attr[] = []): Buffer {
  return msg(
    ...inputs.map((i) => bytesField(1, i)),
    ...outputs.map((o) => bytesField(2, o)),
    bytesField(3, `${op}_${outputs[0]}`),
    bytesField(4, op),
    ...attrs.map((a) => bytesField(5, attribute(a))),
  );
}

/** ValueInfoProto for a tensor; a string dim is symbolic (dynamic). */
function valueInfo(name: string, elemType: number, dims: Array<number | string>): Buffer {
  const shape = msg(...dims.map((d) => bytesField(1, typeof d === 'number' ? intField(1, d) : bytesField(2, d))));
  const tensorType = msg(intField(1, elemType), bytesField(2, shape));
  return msg(bytesField(1, name), bytesField(2, bytesField(1, tensorType)));
}

/** The serialized model, for tests that want bytes rather than a file. */
export function tinyKokoroModelBytes(opts: TinyModelOptions = {}): Buffer {
  const n = opts.names ?? KOKORO_NAMES;
  const samples = opts.samplesPerToken ?? TINY_DEFAULT_SAMPLES_PER_TOKEN;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`samplesPerToken must be a positive integer, got ${samples}`);
  const ramp = Array.from({ length: samples }, (_, j) => (j + 1) * 0.01);

  const initializers = [
    tensor('zero', FLOAT, [], [0]),
    tensor('one', FLOAT, [], [1]),
    tensor('k_tok', FLOAT, [], [0.37]),
    tensor('k_pos', FLOAT, [], [0.11]),
    tensor('k_speed', FLOAT, [], [0.5]),
    tensor('amp', FLOAT, [], [0.1]),
    tensor('axis1', INT64, [], [1]),
    tensor('col_shape', INT64, [2], [-1, 1]),
    tensor('flat_shape', INT64, [1], [-1]),
    tensor('ramp', FLOAT, [1, samples], ramp),
  ];
  const nodes = [
    node('Cast', [n.tokens], ['tok_f'], [{ name: 'to', i: FLOAT }]),
    // Positions 1..T: a cumulative sum over a row of ones shaped like the tokens.
    node('Mul', ['tok_f', 'zero'], ['zeros']),
    node('Add', ['zeros', 'one'], ['ones']),
    node('CumSum', ['ones', 'axis1'], ['pos']),
    node('Mul', ['tok_f', 'k_tok'], ['tok_term']),
    node('Mul', ['pos', 'k_pos'], ['pos_term']),
    node('Add', ['tok_term', 'pos_term'], ['tp']),
    node('ReduceMean', [n.style], ['style_mean'], [{ name: 'axes', ints: [1] }, { name: 'keepdims', i: 1 }]),
    node('Mul', [n.speed, 'k_speed'], ['speed_term']),
    node('Add', ['tp', 'style_mean'], ['tps']),
    node('Add', ['tps', 'speed_term'], ['x']),
    node('Reshape', ['x', 'col_shape'], ['x_col']),
    node('MatMul', ['x_col', 'ramp'], ['phase']),
    node('Sin', ['phase'], ['wave']),
    node('Mul', ['wave', 'amp'], ['scaled']),
    node('Reshape', ['scaled', 'flat_shape'], [n.audio]),
  ];
  const graph = msg(
    ...nodes.map((b) => bytesField(1, b)),
    bytesField(2, 'tiny_kokoro'),
    ...initializers.map((b) => bytesField(5, b)),
    bytesField(11, valueInfo(n.tokens, INT64, [1, 'sequence_length'])),
    bytesField(11, valueInfo(n.style, FLOAT, [1, 256])),
    bytesField(11, valueInfo(n.speed, FLOAT, [1])),
    bytesField(12, valueInfo(n.audio, FLOAT, ['audio_length'])),
  );
  const opset = msg(bytesField(1, ''), intField(2, 13));
  return msg(intField(1, 8), bytesField(2, 'kokoro-gateway tests'), bytesField(7, graph), bytesField(8, opset));
}

/** Writes the tiny model to `path`. */
export function writeTinyKokoroModel(path: string, opts?: TinyModelOptions): void {
  writeFileSync(path, tinyKokoroModelBytes(opts));
}
