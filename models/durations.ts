// The durations model: the verified int8 Kokoro model with one more graph output, `durations`,
// the per-token durations the model predicts (in units of 600 samples at 24 kHz, both pads
// included; already divided by the speed). Word timestamps are read off it (engine/inference.ts).
//
// The ONNX export only returns audio. Inside it, the duration predictor's sum is divided by
// `speed`, rounded and clipped to at least 1 (`/encoder/Div` -> `/encoder/Round` ->
// `/encoder/Clip`) before the tokens are repeated that many frames; `/encoder/Clip_output_0`
// holds exactly the durations that shape the audio (checked with onnxruntime on this file:
// sum(durations) x 600 == audio length, at speeds 0.5, 1 and 1.7).
//
// Derivation is a minimal protobuf edit, no ONNX library: in ModelProto.graph (field 7) append
// one NodeProto (Identity: that tensor -> `durations`, so the output has a plain name) and one
// ValueInfoProto to GraphProto.output (field 12). Appending repeated fields is valid protobuf
// and a node appended last is still in topological order. Nothing else is touched, so the
// output is byte-identical run to run; its SHA-256 is recorded below, like every model file.
// The derived file lives in the cache directory (`<cache>/derived/`), never in the repository.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_FILE, manifestEntry } from './manifest.js';

/** The tensor in kokoro-v1.0.int8.onnx that holds the rounded, clipped per-token durations. */
export const DURATIONS_TENSOR = '/encoder/Clip_output_0';
/** The output name the derived model gives it. */
export const DURATIONS_OUTPUT = 'durations';
/** Samples per duration unit (24 kHz): measured, sum(durations) x 600 == audio length. */
export const SAMPLES_PER_DURATION = 600;

export const DURATIONS_MODEL = {
  name: 'kokoro-v1.0.int8.durations.onnx',
  from: MODEL_FILE,
  // Recorded from deriveDurationsModel() on the manifest's model (same bytes on every run).
  bytes: 92361357,
  sha256: 'a74042b4e12ef00a570f790fdef33c48e752897d5c02468d3108bc1bf94d75e4',
} as const;

// ---- protobuf wire format (just what this edit needs) -----------------------------------

function readVarint(b: Buffer, pos: number): [value: number, next: number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const byte = b[pos + i];
    if (byte === undefined) throw new Error('truncated varint');
    v += (byte & 0x7f) * mul; // plain arithmetic: lengths here exceed 2^31 never, but stay exact to 2^53
    if (byte < 0x80) return [v, pos + i + 1];
    mul *= 128;
  }
  throw new Error('varint too long');
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

interface Field {
  field: number;
  wire: number;
  /** Where the tag starts, where the value (after any length prefix) starts and ends. */
  start: number;
  valueStart: number;
  end: number;
}

/** The top-level fields of one message. */
function fields(b: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < b.length) {
    const start = pos;
    const [tag, p] = readVarint(b, pos);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    let valueStart = p;
    let end: number;
    if (wire === 0) end = readVarint(b, p)[1];
    else if (wire === 1) end = p + 8;
    else if (wire === 5) end = p + 4;
    else if (wire === 2) {
      const [len, q] = readVarint(b, p);
      valueStart = q;
      end = q + len;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (end > b.length) throw new Error('truncated protobuf field');
    out.push({ field, wire, start, valueStart, end });
    pos = end;
  }
  return out;
}

/** A length-delimited field: tag, length, bytes. */
function ld(field: number, value: Buffer): Buffer {
  return Buffer.concat([varint(field * 8 + 2), varint(value.length), value]);
}
const str = (field: number, s: string) => ld(field, Buffer.from(s, 'utf8'));

const strings = (msg: Buffer, field: number): string[] =>
  fields(msg).filter((f) => f.field === field && f.wire === 2).map((f) => msg.subarray(f.valueStart, f.end).toString('utf8'));

/**
 * The model with `DURATIONS_TENSOR` exposed as the output `DURATIONS_OUTPUT`. Throws when the
 * model has no such tensor (another export) or already has an output of that name.
 */
export function deriveDurationsModel(model: Buffer): Buffer {
  const top = fields(model);
  const graphs = top.filter((f) => f.field === 7 && f.wire === 2);
  if (graphs.length !== 1) throw new Error(`expected one ModelProto.graph, found ${graphs.length}`);
  const g = graphs[0]!;
  const graph = model.subarray(g.valueStart, g.end);
  const gf = fields(graph);
  // GraphProto: node = 1 (NodeProto: output = 2), output = 12 (ValueInfoProto: name = 1).
  const produced = gf.filter((f) => f.field === 1 && f.wire === 2)
    .some((f) => strings(graph.subarray(f.valueStart, f.end), 2).includes(DURATIONS_TENSOR));
  if (!produced) throw new Error(`the model has no tensor ${DURATIONS_TENSOR} (not the kokoro-onnx int8 export)`);
  const outputs = gf.filter((f) => f.field === 12 && f.wire === 2).flatMap((f) => strings(graph.subarray(f.valueStart, f.end), 1));
  if (outputs.includes(DURATIONS_OUTPUT)) throw new Error(`the model already has an output named ${DURATIONS_OUTPUT}`);

  // NodeProto: input 1, output 2, name 3, op_type 4.
  const node = Buffer.concat([str(1, DURATIONS_TENSOR), str(2, DURATIONS_OUTPUT), str(3, 'durations_identity'), str(4, 'Identity')]);
  // ValueInfoProto: name 1, type 2 = TypeProto { tensor_type 1 = { elem_type 1 = FLOAT (1) } }.
  const type = ld(1, Buffer.from([0x08, 0x01]));
  const output = Buffer.concat([str(1, DURATIONS_OUTPUT), ld(2, type)]);
  const newGraph = Buffer.concat([graph, ld(1, node), ld(12, output)]);
  return Buffer.concat([model.subarray(0, g.start), ld(7, newGraph), model.subarray(g.end)]);
}

// ---- the file in the cache ----------------------------------------------------------------

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Where the derived model lives. */
export function durationsModelPath(cacheDir: string): string {
  return join(cacheDir, 'derived', DURATIONS_MODEL.name);
}

/**
 * The path of a verified durations model for `modelPath`, deriving it when missing or wrong;
 * null (with the reason logged) when word timestamps cannot be had: a model file other than
 * the manifest's (its derivation could not be verified), or a derivation whose SHA-256 differs
 * from the recorded one. Several processes may call it at once: each writes a temp file and
 * renames it, and the bytes are identical.
 */
export async function ensureDurationsModel(opts: { modelPath: string; modelsDir: string; cacheDir: string; log?: (level: 'info' | 'warn', msg: string) => void }): Promise<string | null> {
  const log = opts.log ?? (() => {});
  if (join(opts.modelsDir, MODEL_FILE) !== join(opts.modelPath)) {
    log('warn', `word timestamps unavailable: ${opts.modelPath} is not the manifest's ${MODEL_FILE}, whose durations output is verified`);
    return null;
  }
  const path = durationsModelPath(opts.cacheDir);
  if (existsSync(path)) {
    const have = await readFile(path);
    if (have.length === DURATIONS_MODEL.bytes && sha256(have) === DURATIONS_MODEL.sha256) return path;
    log('warn', `${path} does not match its recorded SHA-256; deriving it again`);
  }
  const source = await readFile(opts.modelPath);
  if (sha256(source) !== manifestEntry(MODEL_FILE)!.sha256) {
    log('warn', `word timestamps unavailable: ${opts.modelPath} does not match the manifest`);
    return null;
  }
  let derived: Buffer;
  try {
    derived = deriveDurationsModel(source);
  } catch (err) {
    log('warn', `word timestamps unavailable: ${(err as Error).message}`);
    return null;
  }
  const got = sha256(derived);
  if (derived.length !== DURATIONS_MODEL.bytes || got !== DURATIONS_MODEL.sha256) {
    log('warn', `word timestamps unavailable: the derived model is ${derived.length} bytes, SHA-256 ${got}; recorded ${DURATIONS_MODEL.bytes}, ${DURATIONS_MODEL.sha256}`);
    return null;
  }
  mkdirSync(join(opts.cacheDir, 'derived'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, derived, { mode: 0o600, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    log('warn', `word timestamps unavailable: could not write ${path}: ${(err as Error).message}`);
    return null;
  }
  log('info', `derived ${DURATIONS_MODEL.name} (durations output for word timestamps)`);
  return path;
}
