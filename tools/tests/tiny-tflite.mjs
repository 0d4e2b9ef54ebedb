// Writes small TFLite flatbuffers for converter tests (tensorflow/lite/schema/schema.fbs field numbers), so an op
// can be checked against the reference TFLite interpreter when no package ships a model that uses it.
import * as flatbuffers from 'flatbuffers';

const TYPE = { float32: 0, int32: 2, int64: 4 };
const OPS = { CONV_2D: 3, ARG_MAX: 56 };
const OPTIONS = { CONV_2D: 1, ARG_MAX: 40 }; // BuiltinOptions union tags: Conv2DOptions, ArgMaxOptions

/**
 * A 1×1 CONV_2D (3 → classes channels, fixed-seed weights) followed by ARG_MAX over channels: the shape of a
 * multi-class segmenter's head. Input [1, H, W, 3] float32 whose shape_signature can leave H and W free.
 * @param {{height?: number, width?: number, classes?: number, outputType?: 'int32'|'int64', freeHW?: boolean}} o
 * @returns {{bytes: Uint8Array, weights: Float32Array, bias: Float32Array}}
 */
export function argmaxSegmenter({ height = 6, width = 5, classes = 4, outputType = 'int64', freeHW = false } = {}) {
  const weights = Float32Array.from({ length: classes * 3 }, (_, i) => Math.sin(i * 2.3 + 0.4));
  const bias = Float32Array.from({ length: classes }, (_, i) => 0.1 * (i - 1));
  const b = new flatbuffers.Builder(1024);
  const ints = (xs) => { b.startVector(4, xs.length, 4); for (let i = xs.length - 1; i >= 0; i--) b.addInt32(xs[i]); return b.endVector(); };
  const offsets = (xs) => { b.startVector(4, xs.length, 4); for (let i = xs.length - 1; i >= 0; i--) b.addOffset(xs[i]); return b.endVector(); };
  const buffer = (bytes) => {
    let data = 0;
    if (bytes) { b.startVector(1, bytes.length, 16); for (let i = bytes.length - 1; i >= 0; i--) b.addInt8(bytes[i]); data = b.endVector(); }
    b.startObject(3); if (data) b.addFieldOffset(0, data, 0); return b.endObject();
  };
  const f32 = (a) => new Uint8Array(a.buffer.slice(0));
  const buffers = offsets([buffer(null), buffer(f32(weights)), buffer(f32(bias)), buffer(new Uint8Array(Int32Array.of(3).buffer))]);
  const tensor = (shape, type, buf, name, signature) => {
    const s = ints(shape), n = b.createString(name), sig = signature ? ints(signature) : 0;
    b.startObject(8);
    b.addFieldOffset(0, s, 0); b.addFieldInt8(1, TYPE[type], 0); b.addFieldInt32(2, buf, 0); b.addFieldOffset(3, n, 0);
    if (sig) b.addFieldOffset(7, sig, 0);
    return b.endObject();
  };
  const tensors = offsets([
    tensor([1, height, width, 3], 'float32', 0, 'image', freeHW ? [1, -1, -1, 3] : null),
    tensor([classes, 1, 1, 3], 'float32', 1, 'head/weights'),
    tensor([classes], 'float32', 2, 'head/bias'),
    tensor([1, height, width, classes], 'float32', 0, 'logits', freeHW ? [1, -1, -1, classes] : null),
    tensor([1], 'int32', 3, 'argmax/axis'),
    tensor([1, height, width], outputType, 0, 'class_map', freeHW ? [1, -1, -1] : null),
  ]);
  const conv = (() => { b.startObject(6); b.addFieldInt8(0, 1, 0); b.addFieldInt32(1, 1, 0); b.addFieldInt32(2, 1, 0); b.addFieldInt32(4, 1, 1); b.addFieldInt32(5, 1, 1); return b.endObject(); })();
  const argmax = (() => { b.startObject(1); b.addFieldInt8(0, TYPE[outputType], 0); return b.endObject(); })();
  const operator = (opcode, inputs, outputs, kind, options) => {
    const i = ints(inputs), o = ints(outputs);
    b.startObject(6);
    b.addFieldInt32(0, opcode, 0); b.addFieldOffset(1, i, 0); b.addFieldOffset(2, o, 0);
    b.addFieldInt8(3, OPTIONS[kind], 0); b.addFieldOffset(4, options, 0);
    return b.endObject();
  };
  const operators = offsets([operator(0, [0, 1, 2], [3], 'CONV_2D', conv), operator(1, [3, 4], [5], 'ARG_MAX', argmax)]);
  const sgInputs = ints([0]), sgOutputs = ints([5]), sgName = b.createString('main');
  b.startObject(5);
  b.addFieldOffset(0, tensors, 0); b.addFieldOffset(1, sgInputs, 0); b.addFieldOffset(2, sgOutputs, 0); b.addFieldOffset(3, operators, 0); b.addFieldOffset(4, sgName, 0);
  const subgraphs = offsets([b.endObject()]);
  const opcode = (code) => { b.startObject(4); b.addFieldInt8(0, code, 0); b.addFieldInt32(2, 1, 1); b.addFieldInt32(3, code, 0); return b.endObject(); };
  const opcodes = offsets([opcode(OPS.CONV_2D), opcode(OPS.ARG_MAX)]);
  const desc = b.createString('cv-elements test: 1x1 conv + ARG_MAX');
  b.startObject(8);
  b.addFieldInt32(0, 3, 0); b.addFieldOffset(1, opcodes, 0); b.addFieldOffset(2, subgraphs, 0); b.addFieldOffset(3, desc, 0); b.addFieldOffset(4, buffers, 0);
  b.finish(b.endObject(), 'TFL3');
  return { bytes: b.asUint8Array().slice(), weights, bias };
}

/** Plain-JS reference for argmaxSegmenter: per pixel, the channel with the largest 1×1-conv logit (first on ties). */
export function argmaxSegmenterReference(x, [, H, W], weights, bias) {
  const C = bias.length;
  const out = new Int32Array(H * W);
  for (let p = 0; p < H * W; p++) {
    let best = 0, bestV = -Infinity;
    for (let c = 0; c < C; c++) {
      let v = bias[c];
      for (let k = 0; k < 3; k++) v += weights[c * 3 + k] * x[p * 3 + k];
      if (v > bestV) { bestV = v; best = c; }
    }
    out[p] = best;
  }
  return out;
}
