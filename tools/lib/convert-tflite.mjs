// TFLite flatbuffer → ONNX (fp32). Quantized/fp16 weights are dequantized; activations are computed in float.
import { readTflite } from './tflite.mjs';
import { Emitter, ConversionError, transposeData, product } from './emitter.mjs';
import * as ops from './ops.mjs';
import { checkShape, checkStored } from './untrusted.mjs';

export function halfToFloat(h) {
  const s = (h & 0x8000) ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Decodes a constant tensor's buffer to a typed array of real values. */
export function decodeTensor(t) {
  const b = t.data;
  const n = checkShape(t.shape, `Constant tensor "${t.name}"`);
  const size = { float32: 4, float16: 2, int32: 4, int64: 8, uint8: 1, int8: 1, int16: 2, bool: 1 }[t.type];
  if (size) checkStored(n, size, b.byteLength, `Constant tensor "${t.name}"`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let raw;
  switch (t.type) {
    case 'float32': raw = new Float32Array(n); for (let i = 0; i < n; i++) raw[i] = dv.getFloat32(4 * i, true); break;
    case 'float16': raw = new Float32Array(n); for (let i = 0; i < n; i++) raw[i] = halfToFloat(dv.getUint16(2 * i, true)); break;
    case 'int32': raw = new Int32Array(n); for (let i = 0; i < n; i++) raw[i] = dv.getInt32(4 * i, true); break;
    case 'int64': raw = new Int32Array(n); for (let i = 0; i < n; i++) raw[i] = Number(dv.getBigInt64(8 * i, true)); break;
    case 'uint8': raw = new Int32Array(n); for (let i = 0; i < n; i++) raw[i] = dv.getUint8(i); break;
    case 'int8': raw = new Int32Array(n); for (let i = 0; i < n; i++) raw[i] = dv.getInt8(i); break;
    case 'int16': raw = new Int32Array(n); for (let i = 0; i < n; i++) raw[i] = dv.getInt16(2 * i, true); break;
    case 'bool': raw = new Int32Array(n); for (let i = 0; i < n; i++) raw[i] = dv.getUint8(i); break;
    default: throw new ConversionError(`Constant tensor "${t.name}" has unsupported type ${t.type}`);
  }
  if (t.quant && t.type !== 'float32' && t.type !== 'float16') return { data: dequantize(raw, t.shape, t.quant), dtype: 'float32' };
  return { data: raw, dtype: raw instanceof Float32Array ? 'float32' : 'int32' };
}

/** (q - zero_point) * scale, per tensor or along quant.axis. */
export function dequantize(q, shape, quant) {
  const out = new Float32Array(q.length);
  const { scale, zeroPoint, axis } = quant;
  if (scale.length === 1) {
    for (let i = 0; i < q.length; i++) out[i] = (q[i] - zeroPoint[0]) * scale[0];
    return out;
  }
  const inner = product(shape.slice(axis + 1));
  const dim = shape[axis];
  if (dim !== scale.length) throw new ConversionError(`Per-axis quantization has ${scale.length} scales for axis ${axis} of size ${dim}`);
  for (let i = 0; i < q.length; i++) {
    const c = Math.floor(i / inner) % dim;
    out[i] = (q[i] - (zeroPoint[c] ?? 0)) * scale[c];
  }
  return out;
}

const QUANT_RANGE = { uint8: [0, 255], int8: [-128, 127], int16: [-32768, 32767] };

/**
 * The real interval a quantized tensor can hold: [(qmin - zp)·scale, (qmax - zp)·scale].
 * Returns null for tensors that are not 8/16-bit quantized.
 */
export function quantRange(t) {
  const r = QUANT_RANGE[t.type];
  if (!r || !t.quant) return null;
  const { scale, zeroPoint } = t.quant;
  if (scale.length !== 1) return null;
  const zp = Number(zeroPoint[0] ?? 0);
  return [(r[0] - zp) * scale[0], (r[1] - zp) * scale[0]];
}

/**
 * In a quantized TFLite graph every op saturates its result to what its uint8/int8/int16 output tensor
 * can represent. That range is part of the model's function, not just noise: converters fold RELU6 and
 * similar clamps into it and leave the fused activation at NONE (MobileNet SSD's "…/Relu6" tensors are
 * uint8 with scale 6/255, zero point 0 and no fused activation). The fp32 graph computes in real values,
 * so it must apply the same saturation with a Clip. Rounding to the quantization grid and the integer
 * kernels' fixed-point arithmetic are not emulated: on Coral's uint8 MobileNet V2 SSD that leaves
 * scores within 0.1 of TFLite's and the same top class (tools/tests/mobilenet.test.mjs).
 */
function clampToQuantRange(e, k, t) {
  if (!QUANT_RANGE[t.type] || !t.quant) return;
  const v = e.get(k);
  if (v.const) return;
  if (t.quant.scale.length !== 1) {
    throw new ConversionError(`Activation tensor "${t.name}" is quantized per axis (${t.quant.scale.length} scales), which TFLite kernels do not produce and the converter does not handle`);
  }
  const [lo, hi] = quantRange(t);
  const name = e.node('Clip', [v.name, e.scalar(lo), e.scalar(hi)], [e.tmp(`${t.name}_sat`)]);
  e.set(k, { ...v, name });
}

const BINARY = { ADD: 'Add', SUB: 'Sub', MUL: 'Mul', DIV: 'Div', MAXIMUM: 'Max', MINIMUM: 'Min', POW: 'Pow' };
const UNARY_ACT = { RELU: 'RELU', RELU6: 'RELU6', RELU_N1_TO_1: 'RELU_N1_TO_1', LOGISTIC: 'sigmoid', TANH: 'TANH', HARD_SWISH: 'hardswish' };
const UNARY_ONNX = { EXP: 'Exp', LOG: 'Log', ABS: 'Abs', NEG: 'Neg', SQRT: 'Sqrt', FLOOR: 'Floor', CEIL: 'Ceil', SIN: 'Sin', COS: 'Cos' };
const REDUCERS = { MEAN: 'ReduceMean', SUM: 'ReduceSum', REDUCE_MAX: 'ReduceMax', REDUCE_MIN: 'ReduceMin', REDUCE_PROD: 'ReduceProd' };

/**
 * @param {Uint8Array} bytes .tflite file contents
 * @returns {{bytes: Uint8Array, inputs: any[], outputs: any[], opCounts: Record<string, number>}}
 */
export function convertTflite(bytes, { graphName = 'tflite', inputShape } = {}) {
  const m = readTflite(bytes);
  // Free dimensions (-1 in an input's shape_signature) take --input-shape; without it, the concrete shape the
  // file stores for them (TFLite writes 1 there). When any input is resized, the shapes the file declares for
  // inner tensors describe the old size: they are not checked then, and RESHAPE takes its shape operand.
  const free = (t) => (t.shapeSignature ?? []).some((d) => d < 0);
  let resized = false;
  for (const i of m.inputs) {
    const t = m.tensors[i];
    if (!inputShape || !free(t)) continue;
    if (inputShape.length !== t.shape.length || inputShape.some((d, k) => !(d > 0) || (t.shapeSignature[k] > 0 && t.shapeSignature[k] !== d))) {
      throw new ConversionError(`--input-shape ${inputShape.join(',')} does not fit input "${t.name}" (signature ${JSON.stringify(t.shapeSignature)})`);
    }
    if (inputShape.some((d, k) => d !== t.shape[k])) { t.shape = [...inputShape]; resized = true; }
  }
  if (m.subgraphCount > 1) {
    // Control-flow subgraphs (IF/WHILE) are rejected below when their op is met; extra subgraphs alone are fine.
  }
  const e = new Emitter(graphName);
  const T = m.tensors;
  const key = (i) => `t${i}`;
  const opCounts = {};
  e.reserve(m.outputs.map((i) => T[i].name));
  e.reserve(m.inputs.map((i) => T[i].name));

  for (const t of T) {
    if (t.data && t.data.length) {
      if (t.sparse) throw new ConversionError(`Tensor "${t.name}" is sparse; sparse weights are not supported`);
      const { data, dtype } = decodeTensor(t);
      e.setConst(key(t.index), data, t.shape, dtype);
    }
  }
  for (const i of m.inputs) {
    const t = T[i];
    if (t.type === 'float32') e.addInput(key(i), t.name, t.shape, 'float32');
    else if ((t.type === 'uint8' || t.type === 'int8') && t.quant) {
      // The source takes quantized pixels: keep that external type and dequantize inside the graph.
      e.addInput(`${key(i)}__q`, t.name, t.shape, t.type);
      const v = e.get(`${key(i)}__q`);
      const f = e.node('Cast', [v.name], [e.tmp(`${t.name}_f`)], { to: 1 });
      const z = e.node('Sub', [f, e.scalar(Number(t.quant.zeroPoint[0]))], [e.tmp(`${t.name}_z`)]);
      e.node('Mul', [z, e.scalar(t.quant.scale[0])], [e.out(key(i), t.shape, 'plain')]);
    } else throw new ConversionError(`Model input "${t.name}" has type ${t.type}, which is not supported`);
  }

  const shapeOf = (i) => T[i].shape;
  const cw = (i) => {
    if (!e.isConst(key(i))) throw new ConversionError(`Tensor "${T[i].name}" must be constant (weights) but is computed at run time`);
    return e.constData(key(i));
  };
  const floatConst = (i) => Float32Array.from(cw(i));

  for (const op of m.operators) {
    const name = op.custom ? `${op.op}:${op.custom}` : op.op;
    opCounts[name] = (opCounts[name] ?? 0) + 1;
    const ins = op.inputs;
    const outT = T[op.outputs[0]];
    const out = key(op.outputs[0]);
    const o = op.options;
    const where = () => `operator #${op.index} (${name}, output tensor "${outT?.name}")`;
    try {
      // Operators whose every input is constant are folded where we know how (DEQUANTIZE of weights).
      if ((op.op === 'DEQUANTIZE' || op.op === 'QUANTIZE') && e.isConst(key(ins[0]))) {
        const src = T[ins[0]];
        e.setConst(out, Float32Array.from(e.constData(key(ins[0]))), src.shape, 'float32');
        continue;
      }
      switch (op.op) {
        case 'DEQUANTIZE': case 'QUANTIZE': {
          // Activations are already real-valued in the fp32 model: (de)quantization is the identity.
          e.set(out, { ...e.get(key(ins[0])) });
          break;
        }
        case 'CONV_2D': {
          const [, kh, kw] = shapeOf(ins[1]);
          const wt = transposeData(floatConst(ins[1]), shapeOf(ins[1]), [0, 3, 1, 2]);
          const cin = shapeOf(ins[0])[3];
          const group = cin / shapeOf(ins[1])[3];
          ops.conv2d(e, {
            x: key(ins[0]), out, weight: wt.data, weightShape: wt.shape, bias: ins[2] >= 0 && ins[2] !== undefined ? floatConst(ins[2]) : null,
            strides: [o.strideH, o.strideW], dilations: [o.dilationH, o.dilationW], padding: o.padding, group, activation: o.activation,
          });
          void kh; void kw;
          break;
        }
        case 'DEPTHWISE_CONV_2D': {
          const wt = transposeData(floatConst(ins[1]), shapeOf(ins[1]), [3, 0, 1, 2]);
          ops.conv2d(e, {
            x: key(ins[0]), out, weight: wt.data, weightShape: wt.shape, bias: ins[2] >= 0 ? floatConst(ins[2]) : null,
            strides: [o.strideH, o.strideW], dilations: [o.dilationH, o.dilationW], padding: o.padding, group: shapeOf(ins[0])[3], activation: o.activation,
          });
          break;
        }
        case 'TRANSPOSE_CONV': {
          const outShape = Array.from(cw(ins[0]));
          const wt = transposeData(floatConst(ins[1]), shapeOf(ins[1]), [3, 0, 1, 2]);
          ops.convTranspose2d(e, {
            x: key(ins[2]), out, weight: wt.data, weightShape: wt.shape, bias: ins[3] >= 0 ? floatConst(ins[3]) : null,
            strides: [o.strideH, o.strideW], outputHW: [outShape[1], outShape[2]], activation: o.activation,
          });
          break;
        }
        case 'CUSTOM': {
          if (op.custom === 'Convolution2DTransposeBias') {
            // MediaPipe: custom_options = TfLiteTransposeConvParams {padding (1 SAME, 2 VALID), stride_w, stride_h}.
            const co = op.customOptions;
            const dv = new DataView(co.buffer, co.byteOffset, co.byteLength);
            const padding = dv.getInt32(0, true), sw = dv.getInt32(4, true), sh = dv.getInt32(8, true);
            const [, H, W] = shapeOf(ins[0]);
            const [, kh, kw] = shapeOf(ins[1]);
            const outHW = padding === 2 ? [(H - 1) * sh + kh, (W - 1) * sw + kw] : [H * sh, W * sw];
            const wt = transposeData(floatConst(ins[1]), shapeOf(ins[1]), [3, 0, 1, 2]);
            ops.convTranspose2d(e, { x: key(ins[0]), out, weight: wt.data, weightShape: wt.shape, bias: floatConst(ins[2]), strides: [sh, sw], outputHW: outHW });
            break;
          }
          throw new ConversionError(`Unsupported custom op "${op.custom}"`);
        }
        case 'ADD': case 'SUB': case 'MUL': case 'DIV': case 'MAXIMUM': case 'MINIMUM': case 'POW':
          ops.elementwise(e, { inputs: [key(ins[0]), key(ins[1])], out, op: BINARY[op.op], activation: o.activation });
          break;
        case 'SQUARED_DIFFERENCE': {
          ops.elementwise(e, { inputs: [key(ins[0]), key(ins[1])], out: `${out}__diff`, op: 'Sub' });
          ops.elementwise(e, { inputs: [`${out}__diff`, `${out}__diff`], out, op: 'Mul' });
          break;
        }
        case 'PRELU':
          ops.elementwise(e, { inputs: [key(ins[0]), key(ins[1])], out, op: 'PRelu' });
          break;
        case 'RELU': case 'RELU6': case 'RELU_N1_TO_1': case 'LOGISTIC': case 'TANH': case 'HARD_SWISH':
          ops.activationOp(e, { x: key(ins[0]), out, act: UNARY_ACT[op.op] });
          break;
        case 'LEAKY_RELU':
          ops.activationOp(e, { x: key(ins[0]), out, act: 'leakyrelu', alpha: o.alpha });
          break;
        case 'ELU':
          ops.activationOp(e, { x: key(ins[0]), out, act: 'elu', alpha: 1 });
          break;
        case 'EXP': case 'LOG': case 'ABS': case 'NEG': case 'SQRT': case 'FLOOR': case 'CEIL': case 'SIN': case 'COS':
          ops.unary(e, { x: key(ins[0]), out, op: UNARY_ONNX[op.op] });
          break;
        case 'RSQRT': {
          ops.unary(e, { x: key(ins[0]), out: `${out}__sqrt`, op: 'Sqrt' });
          ops.unary(e, { x: `${out}__sqrt`, out, op: 'Reciprocal' });
          break;
        }
        case 'AVERAGE_POOL_2D': case 'MAX_POOL_2D':
          ops.pool2d(e, { x: key(ins[0]), out, type: op.op === 'MAX_POOL_2D' ? 'max' : 'avg', filter: [o.filterH, o.filterW], strides: [o.strideH, o.strideW], padding: o.padding, activation: o.activation });
          break;
        case 'MEAN': case 'SUM': case 'REDUCE_MAX': case 'REDUCE_MIN': case 'REDUCE_PROD':
          ops.reduce(e, { x: key(ins[0]), out, op: REDUCERS[op.op], axes: Array.from(cw(ins[1])), keepDims: o.keepDims });
          break;
        case 'RESHAPE': case 'SQUEEZE': case 'EXPAND_DIMS': {
          let shape = outT.shape;
          if (resized) {
            if (op.op !== 'RESHAPE') throw new ConversionError(`${op.op} in a model resized by --input-shape is not supported`);
            shape = ins[1] >= 0 && e.isConst(key(ins[1])) ? Array.from(cw(ins[1])) : o.newShape;
            if (!shape) throw new ConversionError('RESHAPE has neither a constant shape operand nor new_shape');
          }
          ops.reshape(e, { x: key(ins[0]), out, shape });
          break;
        }
        case 'ARG_MAX': {
          // The output tensor's type is the op's output_type (int32 or int64).
          if (outT.type !== 'int32' && outT.type !== 'int64') throw new ConversionError(`ARG_MAX output type ${outT.type} is not supported`);
          ops.argMax(e, { x: key(ins[0]), out, axis: Number(cw(ins[1])[0]), dtype: outT.type });
          break;
        }
        case 'CONCATENATION':
          ops.concat(e, { inputs: ins.map(key), out, axis: o.axis, activation: o.activation });
          break;
        case 'PAD': case 'PADV2': case 'MIRROR_PAD': {
          const p = Array.from(cw(ins[1]));
          const pads = [];
          for (let i = 0; i < p.length; i += 2) pads.push([p[i], p[i + 1]]);
          const value = op.op === 'PADV2' && ins[2] >= 0 ? cw(ins[2])[0] : 0;
          if (op.op === 'MIRROR_PAD' && o.mode !== 'REFLECT') throw new ConversionError('MIRROR_PAD SYMMETRIC has no ONNX equivalent');
          ops.pad(e, { x: key(ins[0]), out, pads, value, mode: op.op === 'MIRROR_PAD' ? 'reflect' : 'constant' });
          break;
        }
        case 'RESIZE_BILINEAR': case 'RESIZE_NEAREST_NEIGHBOR':
          ops.resize(e, {
            x: key(ins[0]), out, size: Array.from(cw(ins[1])), method: op.op === 'RESIZE_BILINEAR' ? 'bilinear' : 'nearest',
            alignCorners: o.alignCorners, halfPixelCenters: o.halfPixelCenters,
          });
          break;
        case 'FULLY_CONNECTED':
          ops.dense(e, {
            x: key(ins[0]), out, weight: floatConst(ins[1]), weightShape: shapeOf(ins[1]), bias: ins[2] >= 0 ? floatConst(ins[2]) : null,
            activation: o.activation, outShape: outT.shape,
          });
          break;
        case 'SOFTMAX':
          ops.softmax(e, { x: key(ins[0]), out, beta: o.beta || 1 });
          break;
        case 'TRANSPOSE':
          ops.transpose(e, { x: key(ins[0]), out, perm: Array.from(cw(ins[1])) });
          break;
        case 'DEPTH_TO_SPACE':
          ops.depthToSpace(e, { x: key(ins[0]), out, blockSize: o.blockSize });
          break;
        default:
          throw new ConversionError(`Unsupported TFLite op ${name}`);
      }
      const got = e.get(out).shape;
      if (!resized && outT.shape.length && (got.length !== outT.shape.length || got.some((d, i) => d !== outT.shape[i]))) {
        throw new ConversionError(`Shape mismatch: converter computed ${JSON.stringify(got)}, model declares ${JSON.stringify(outT.shape)}`);
      }
      for (const o of op.outputs) if (o >= 0 && e.has(key(o))) clampToQuantRange(e, key(o), T[o]);
    } catch (err) {
      if (err instanceof ConversionError && !err.message.includes('operator #')) {
        throw new ConversionError(`${err.message} at ${where()}`);
      }
      throw err;
    }
  }
  for (const i of m.outputs) e.addOutput(key(i), T[i].name);
  const onnxBytes = e.toBytes();
  return {
    bytes: onnxBytes,
    inputs: e.inputs.map((x) => ({ name: x.name, shape: x.shape, dtype: x.dtype })),
    outputs: e.outputs.map((x) => ({ name: x.name, shape: x.shape, dtype: x.dtype })),
    opCounts,
  };
}
