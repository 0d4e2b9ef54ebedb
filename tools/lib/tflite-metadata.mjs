// TFLite Metadata (tensorflow_lite_support metadata_schema.fbs, file identifier "M001") for .tflite models:
// build a ModelMetadata flatbuffer with the flatbuffers Builder, attach it to a model as a new buffer named by a
// `TFLITE_METADATA` entry of Model.metadata, pack label files as a zip appended to the model (the way the
// metadata populator stores associated files), and read it all back.
//
// Attaching without re-encoding every table: a FlatBuffer's offsets are relative and only point forward, so the
// old file can be kept byte for byte behind a new head. The head holds a new root Model table whose fields point
// at the old file's vectors (operator codes, subgraphs, description, …), except `buffers` and `metadata`, which are
// new vectors: the old entries (pointing into the old bytes) plus one new Buffer / Metadata table each. The old
// root table stays behind as unreferenced bytes. The head is padded to a multiple of 16 so the old buffers keep
// their alignment. Absolute Buffer.offset/size fields (models > 2 GB) are not supported.
import * as flatbuffers from 'flatbuffers';
import { fbRoot, FbTable } from './flatbuf.mjs';

export const METADATA_NAME = 'TFLITE_METADATA';
export const METADATA_IDENTIFIER = 'M001';
export const MIN_PARSER_VERSION = '1.0.0';

const COLOR_SPACES = { unknown: 0, rgb: 1, gray: 2, grayscale: 2 };
const COLOR_NAMES = ['unknown', 'rgb', 'grayscale'];
const FILE_TYPES = { unknown: 0, descriptions: 1, tensorAxisLabels: 2, tensorValueLabels: 3 };
const FILE_TYPE_NAMES = ['unknown', 'descriptions', 'tensorAxisLabels', 'tensorValueLabels', 'tensorAxisScoreCalibration', 'vocabulary'];
// Union tags (schema order, 0 = NONE).
const CONTENT_IMAGE = 2; // ContentProperties: FeatureProperties=1, ImageProperties=2, BoundingBoxProperties=3
const CONTENT_FEATURE = 1;
const UNIT_NORMALIZATION = 1; // ProcessUnitOptions: NormalizationOptions=1, ScoreCalibrationOptions=2, …

/**
 * @typedef {{name?:string, description?:string, image?:{colorSpace?:'rgb'|'gray', width?:number, height?:number},
 *   normalization?:{mean:number[], std:number[]}, labelsFile?:string}} TensorSpec
 * @typedef {{name?:string, description?:string, version?:string, author?:string, license?:string,
 *   inputs:TensorSpec[], outputs:TensorSpec[]}} MetadataSpec
 */

/**
 * Encodes a ModelMetadata flatbuffer (identifier "M001").
 * @param {MetadataSpec} spec
 * @returns {Uint8Array}
 */
export function buildModelMetadata(spec) {
  const b = new flatbuffers.Builder(1024);
  const str = (s) => (s == null ? 0 : b.createString(s));
  const offsets = (list) => {
    b.startVector(4, list.length, 4);
    for (let i = list.length - 1; i >= 0; i--) b.addOffset(list[i]);
    return b.endVector();
  };
  const floats = (list) => {
    b.startVector(4, list.length, 4);
    for (let i = list.length - 1; i >= 0; i--) b.addFloat32(list[i]);
    return b.endVector();
  };
  const associatedFile = (name, type, description) => {
    const n = str(name), d = str(description);
    b.startObject(4);
    b.addFieldOffset(0, n, 0);
    if (d) b.addFieldOffset(1, d, 0);
    b.addFieldInt8(2, type, 0);
    return b.endObject();
  };
  /** @param {TensorSpec} t */
  const tensor = (t) => {
    const name = str(t.name), desc = str(t.description);
    let content = 0;
    if (t.image) {
      let size = 0;
      if (t.image.width && t.image.height) {
        b.startObject(2);
        b.addFieldInt32(0, t.image.width, 0);
        b.addFieldInt32(1, t.image.height, 0);
        size = b.endObject();
      }
      b.startObject(2);
      b.addFieldInt8(0, COLOR_SPACES[t.image.colorSpace ?? 'rgb'], 0);
      if (size) b.addFieldOffset(1, size, 0);
      const props = b.endObject();
      b.startObject(3);
      b.addFieldInt8(0, CONTENT_IMAGE, 0);
      b.addFieldOffset(1, props, 0);
      content = b.endObject();
    } else {
      b.startObject(0);
      const props = b.endObject();
      b.startObject(3);
      b.addFieldInt8(0, CONTENT_FEATURE, 0);
      b.addFieldOffset(1, props, 0);
      content = b.endObject();
    }
    let units = 0;
    if (t.normalization) {
      const mean = floats(t.normalization.mean), std = floats(t.normalization.std);
      b.startObject(2);
      b.addFieldOffset(0, mean, 0);
      b.addFieldOffset(1, std, 0);
      const norm = b.endObject();
      b.startObject(2);
      b.addFieldInt8(0, UNIT_NORMALIZATION, 0);
      b.addFieldOffset(1, norm, 0);
      units = offsets([b.endObject()]);
    }
    const files = t.labelsFile ? offsets([associatedFile(t.labelsFile, FILE_TYPES.tensorAxisLabels, 'Labels for the categories that the model can recognize.')]) : 0;
    b.startObject(7);
    if (name) b.addFieldOffset(0, name, 0);
    if (desc) b.addFieldOffset(1, desc, 0);
    b.addFieldOffset(3, content, 0);
    if (units) b.addFieldOffset(4, units, 0);
    if (files) b.addFieldOffset(6, files, 0);
    return b.endObject();
  };
  const inputs = offsets(spec.inputs.map(tensor));
  const outputs = offsets(spec.outputs.map(tensor));
  b.startObject(5);
  b.addFieldOffset(2, inputs, 0);
  b.addFieldOffset(3, outputs, 0);
  const subgraph = b.endObject();
  const subgraphs = offsets([subgraph]);
  const name = str(spec.name), desc = str(spec.description), version = str(spec.version);
  const author = str(spec.author), license = str(spec.license), minParser = str(MIN_PARSER_VERSION);
  b.startObject(8);
  if (name) b.addFieldOffset(0, name, 0);
  if (desc) b.addFieldOffset(1, desc, 0);
  if (version) b.addFieldOffset(2, version, 0);
  b.addFieldOffset(3, subgraphs, 0);
  if (author) b.addFieldOffset(4, author, 0);
  if (license) b.addFieldOffset(5, license, 0);
  b.addFieldOffset(7, minParser, 0);
  b.finish(b.endObject(), METADATA_IDENTIFIER);
  return b.asUint8Array().slice();
}

/** Little-endian byte writer with absolute positions (for the new model head). */
class HeadWriter {
  constructor() { this.buf = new Uint8Array(256); this.len = 0; }
  ensure(n) {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  get dv() { return new DataView(this.buf.buffer); }
  align(n, mod = 0) { while ((this.len % n) !== mod) this.u8(0); }
  u8(v) { this.ensure(1); this.buf[this.len++] = v; }
  u16(v) { this.ensure(2); this.dv.setUint16(this.len, v, true); this.len += 2; }
  u32(v) { this.ensure(4); this.dv.setUint32(this.len, v >>> 0, true); this.len += 4; }
  i32(v) { this.ensure(4); this.dv.setInt32(this.len, v, true); this.len += 4; }
  bytes(a) { this.ensure(a.length); this.buf.set(a, this.len); this.len += a.length; }
  /** Reserves a u32 slot; returns its position. */
  slot() { const p = this.len; this.u32(0); return p; }
  setU32(pos, v) { this.dv.setUint32(pos, v >>> 0, true); }
  setI32(pos, v) { this.dv.setInt32(pos, v, true); }
  setU16(pos, v) { this.dv.setUint16(pos, v, true); }
}

// Model table slots (tensorflow/lite/schema/schema.fbs): version, operator_codes, subgraphs, description, buffers,
// metadata_buffer, metadata, signature_defs.
const MODEL_SLOTS = 8;
const SLOT_VERSION = 0, SLOT_BUFFERS = 4, SLOT_METADATA = 6;

/**
 * Returns a copy of a .tflite model with `metadata` attached as the TFLITE_METADATA buffer (replacing an existing
 * TFLITE_METADATA entry), and `files` (name → bytes) appended as a zip archive.
 * @param {Uint8Array} model
 * @param {Uint8Array} metadata ModelMetadata flatbuffer
 * @param {Record<string, Uint8Array>} [files]
 */
export function attachMetadata(model, metadata, files = {}) {
  if (new TextDecoder().decode(model.subarray(4, 8)) !== 'TFL3') throw new Error('Not a TFLite flatbuffer (missing "TFL3" identifier)');
  const root = fbRoot(model);
  if (root.vtLen > 4 + 2 * MODEL_SLOTS) {
    for (let s = MODEL_SLOTS; 4 + 2 * s < root.vtLen; s++) if (root.has(s)) throw new Error(`Model table has an unknown field ${s}; refusing to rewrite it`);
  }
  const oldBuffers = root.vec(SLOT_BUFFERS);
  if (!oldBuffers) throw new Error('Model has no buffers vector');
  for (const t of root.tables(SLOT_BUFFERS)) if (t.u64(1) > 1) throw new Error('Model uses absolute buffer offsets (> 2 GB layout); not supported');
  // Existing metadata entries, minus an old TFLITE_METADATA (it is replaced).
  const oldMeta = [];
  const mv = root.vec(SLOT_METADATA);
  if (mv) {
    for (let i = 0; i < mv.len; i++) {
      const e = mv.start + 4 * i;
      const pos = e + root.dv.getUint32(e, true);
      if (new FbTable(root.dv, pos).str(0) !== METADATA_NAME) oldMeta.push(pos);
    }
  }
  const newBufferIndex = oldBuffers.len;

  // Two passes: the head's length decides the shift applied to every pointer into the old bytes.
  let shift = 0;
  let head;
  for (let pass = 0; pass < 2; pass++) {
    const w = new HeadWriter();
    const fixups = []; // [slotPos, absoluteTarget]
    const rootSlot = w.slot();
    w.bytes(new TextEncoder().encode('TFL3'));
    // Model vtable.
    const present = [];
    for (let s = 0; s < MODEL_SLOTS; s++) if (s === SLOT_BUFFERS || s === SLOT_METADATA || root.has(s)) present.push(s);
    const vtPos = w.len;
    w.u16(4 + 2 * MODEL_SLOTS);
    w.u16(4 + 4 * present.length);
    const fieldOffPos = w.len;
    for (let s = 0; s < MODEL_SLOTS; s++) w.u16(0);
    w.align(4);
    const modelPos = w.len;
    w.setU32(rootSlot, modelPos);
    w.i32(modelPos - vtPos);
    const fieldPos = {};
    present.forEach((s, i) => {
      w.setU16(fieldOffPos + 2 * s, 4 + 4 * i);
      fieldPos[s] = w.slot();
    });
    if (root.has(SLOT_VERSION)) w.setU32(fieldPos[SLOT_VERSION], root.u32(SLOT_VERSION));
    for (const s of present) if (s !== SLOT_VERSION && s !== SLOT_BUFFERS && s !== SLOT_METADATA) fixups.push([fieldPos[s], root.ref(s) + shift]);
    // New buffers vector: old entries + the metadata buffer.
    fixups.push([fieldPos[SLOT_BUFFERS], w.len]);
    w.u32(oldBuffers.len + 1);
    for (let i = 0; i < oldBuffers.len; i++) {
      const e = oldBuffers.start + 4 * i;
      fixups.push([w.slot(), e + root.dv.getUint32(e, true) + shift]);
    }
    const newBufferSlot = w.slot();
    // New metadata vector: kept entries + TFLITE_METADATA.
    fixups.push([fieldPos[SLOT_METADATA], w.len]);
    w.u32(oldMeta.length + 1);
    for (const pos of oldMeta) fixups.push([w.slot(), pos + shift]);
    const newMetaSlot = w.slot();
    // Metadata table { name: string, buffer: uint }.
    const metaVt = w.len;
    w.u16(8); w.u16(12); w.u16(4); w.u16(8);
    const metaPos = w.len;
    fixups.push([newMetaSlot, metaPos]);
    w.i32(metaPos - metaVt);
    const nameSlot = w.slot();
    w.u32(newBufferIndex);
    fixups.push([nameSlot, w.len]);
    const name = new TextEncoder().encode(METADATA_NAME);
    w.u32(name.length); w.bytes(name); w.u8(0);
    w.align(4);
    // Buffer table { data: [ubyte] }.
    const bufVt = w.len;
    w.u16(6); w.u16(8); w.u16(4);
    w.align(4);
    const bufPos = w.len;
    fixups.push([newBufferSlot, bufPos]);
    w.i32(bufPos - bufVt);
    const dataSlot = w.slot();
    w.align(16, 12); // vector length at 12 mod 16 → data starts 16-aligned
    fixups.push([dataSlot, w.len]);
    w.u32(metadata.length);
    w.bytes(metadata);
    w.align(16);
    if (pass === 0) { shift = w.len; continue; }
    for (const [pos, target] of fixups) {
      if (target <= pos) throw new Error('internal: backward offset');
      w.setU32(pos, target - pos);
    }
    if (w.len !== shift) throw new Error('internal: head length changed between passes');
    head = w.buf.subarray(0, w.len);
  }
  const names = Object.keys(files);
  const zip = names.length ? storedZip(files, head.length + model.length) : new Uint8Array(0);
  const out = new Uint8Array(head.length + model.length + zip.length);
  out.set(head, 0);
  out.set(model, head.length);
  out.set(zip, head.length + model.length);
  return out;
}

// ---------------- associated files: an uncompressed zip appended to the model ----------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A stored (method 0) zip of `files`, with offsets counted from the start of the enclosing file (`base` bytes
 * precede the archive), fixed DOS time 1980-01-01 00:00 so the output is deterministic.
 */
function storedZip(files, base) {
  const enc = new TextEncoder();
  const parts = [];
  const central = [];
  let off = 0;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  for (const [name, data] of Object.entries(files)) {
    const n = enc.encode(name);
    const crc = crc32(data);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true); local.setUint16(4, 10, true); local.setUint16(6, 0, true); local.setUint16(8, 0, true);
    local.setUint16(10, 0, true); local.setUint16(12, DOS_DATE, true); local.setUint32(14, crc, true);
    local.setUint32(18, data.length, true); local.setUint32(22, data.length, true); local.setUint16(26, n.length, true); local.setUint16(28, 0, true);
    const c = new DataView(new ArrayBuffer(46));
    c.setUint32(0, 0x02014b50, true); c.setUint16(4, 20, true); c.setUint16(6, 10, true); c.setUint16(8, 0, true); c.setUint16(10, 0, true);
    c.setUint16(12, 0, true); c.setUint16(14, DOS_DATE, true); c.setUint32(16, crc, true); c.setUint32(20, data.length, true);
    c.setUint32(24, data.length, true); c.setUint16(28, n.length, true); c.setUint32(42, base + off, true);
    central.push(new Uint8Array(c.buffer), n);
    parts.push(new Uint8Array(local.buffer), n, data);
    off += 30 + n.length + data.length;
  }
  const cdSize = central.reduce((s, p) => s + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  const count = Object.keys(files).length;
  end.setUint32(0, 0x06054b50, true); end.setUint16(8, count, true); end.setUint16(10, count, true);
  end.setUint32(12, cdSize, true); end.setUint32(16, base + off, true);
  const all = [...parts, ...central, new Uint8Array(end.buffer)];
  const out = new Uint8Array(all.reduce((s, p) => s + p.length, 0));
  let p = 0;
  for (const a of all) { out.set(a, p); p += a.length; }
  return out;
}

/** Reads the files of a stored zip appended to `bytes` (absolute or archive-relative offsets). */
export function readAppendedZip(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) if (dv.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) return {};
  const count = dv.getUint16(eocd + 10, true), cdSize = dv.getUint32(eocd + 12, true), cdOff = dv.getUint32(eocd + 16, true);
  const before = eocd - cdSize - cdOff; // bytes in front of the archive when offsets are archive-relative
  const out = {};
  let p = eocd - cdSize;
  for (let i = 0; i < count; i++) {
    if (dv.getUint32(p, true) !== 0x02014b50) throw new Error('Bad zip central directory');
    const method = dv.getUint16(p + 10, true), size = dv.getUint32(p + 20, true);
    const nLen = dv.getUint16(p + 28, true), xLen = dv.getUint16(p + 30, true), cLen = dv.getUint16(p + 32, true);
    const localOff = dv.getUint32(p + 42, true) + before;
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nLen));
    if (method !== 0) throw new Error(`zip entry ${name} is compressed (method ${method}); only stored entries are read`);
    const lStart = localOff + 30 + dv.getUint16(localOff + 26, true) + dv.getUint16(localOff + 28, true);
    out[name] = bytes.subarray(lStart, lStart + size);
    p += 46 + nLen + xLen + cLen;
  }
  return out;
}

// ---------------- reading back ----------------

function readTensorMeta(t) {
  const out = { name: t.str(0), description: t.str(1) };
  const content = t.table(3);
  if (content) {
    const kind = content.u8(0);
    const props = content.table(1);
    if (kind === CONTENT_IMAGE && props) {
      const size = props.table(1);
      out.image = { colorSpace: COLOR_NAMES[props.i8(0)] ?? 'unknown', ...(size ? { width: size.u32(0), height: size.u32(1) } : {}) };
    } else out.content = kind === CONTENT_FEATURE ? 'feature' : `type${kind}`;
  }
  for (const u of t.tables(4)) {
    if (u.u8(0) === UNIT_NORMALIZATION) { const n = u.table(1); out.normalization = { mean: n.f32s(0), std: n.f32s(1) }; }
  }
  const files = t.tables(6).map((f) => ({ name: f.str(0), type: FILE_TYPE_NAMES[f.i8(2)] ?? 'unknown' }));
  if (files.length) out.associatedFiles = files;
  return out;
}

/**
 * Decodes the TFLITE_METADATA buffer of a .tflite model, or returns null when it has none.
 * @param {Uint8Array} model
 */
export function readModelMetadata(model) {
  const root = fbRoot(model);
  const entry = root.tables(SLOT_METADATA).find((m) => m.str(0) === METADATA_NAME);
  if (!entry) return null;
  const buf = root.tables(SLOT_BUFFERS)[entry.u32(1)];
  const bytes = buf?.bytes(0);
  if (!bytes) throw new Error('TFLITE_METADATA points at an empty buffer');
  const ident = new TextDecoder().decode(bytes.subarray(4, 8));
  if (ident !== METADATA_IDENTIFIER) throw new Error(`Metadata buffer identifier "${ident}", expected "${METADATA_IDENTIFIER}"`);
  const m = fbRoot(bytes);
  const sg = m.tables(3)[0];
  return {
    name: m.str(0), description: m.str(1), version: m.str(2), author: m.str(4), license: m.str(5),
    minParserVersion: m.str(7),
    inputs: sg ? sg.tables(2).map(readTensorMeta) : [],
    outputs: sg ? sg.tables(3).map(readTensorMeta) : [],
    bufferOffset: bytes.byteOffset - model.byteOffset,
  };
}

/**
 * Convenience: attaches image-model metadata (one image input, its normalization, optional output labels).
 * @param {Uint8Array} model .tflite bytes
 * @param {{mean:number[], std:number[], colorSpace?:'rgb'|'gray', width?:number, height?:number, labels?:string[],
 *   name?:string, description?:string, version?:string, author?:string, license?:string, inputName?:string,
 *   outputNames?:string[]}} opts
 */
export function addImageMetadata(model, opts) {
  const labelsFile = opts.labels?.length ? 'labels.txt' : undefined;
  const nOut = opts.outputNames?.length ?? 1;
  const spec = {
    name: opts.name, description: opts.description, version: opts.version, author: opts.author, license: opts.license,
    inputs: [{ name: opts.inputName ?? 'image', image: { colorSpace: opts.colorSpace ?? 'rgb', width: opts.width, height: opts.height }, normalization: { mean: opts.mean, std: opts.std } }],
    outputs: Array.from({ length: nOut }, (_, i) => ({ name: opts.outputNames?.[i], ...(i === 0 && labelsFile ? { labelsFile } : {}) })),
  };
  const files = labelsFile ? { [labelsFile]: new TextEncoder().encode(`${opts.labels.join('\n')}\n`) } : {};
  return attachMetadata(model, buildModelMetadata(spec), files);
}
