// Source-independent operations with TensorFlow (NHWC) semantics, lowered to ONNX through an Emitter.
// Each returns the output value's logical shape. Front-ends (tflite, tfjs) map their ops onto these.
import { ConversionError, NHWC_AXIS_TO_NCHW, tfPad, product, transposeData } from './emitter.mjs';

/** @typedef {import('./emitter.mjs').Emitter} Emitter */

function spatialOut(inSize, k, s, d, pad) {
  const eff = (k - 1) * d + 1;
  return Math.floor((inSize + pad[0] + pad[1] - eff) / s) + 1;
}

function resolvePads(padding, H, W, kh, kw, sh, sw, dh = 1, dw = 1) {
  if (Array.isArray(padding)) return padding; // [[top, bottom], [left, right]]
  return [tfPad(padding, H, kh, sh, dh), tfPad(padding, W, kw, sw, dw)];
}

/**
 * 2-D convolution. `weight` is ONNX OIHW (group conv: O × I/group × kH × kW).
 * @param {Emitter} e
 */
export function conv2d(e, { x, out, weight, weightShape, bias, strides = [1, 1], dilations = [1, 1], padding = 'VALID', group = 1, activation }) {
  const [N, H, W] = e.get(x).shape;
  const [O, , kh, kw] = weightShape;
  const [ph, pw] = resolvePads(padding, H, W, kh, kw, strides[0], strides[1], dilations[0], dilations[1]);
  const shape = [N, spatialOut(H, kh, strides[0], dilations[0], ph), spatialOut(W, kw, strides[1], dilations[1], pw), O];
  const wName = e.initializer(`${out}_weight`, weight, weightShape);
  const ins = [e.nchw(x), wName];
  if (bias) ins.push(e.initializer(`${out}_bias`, bias, [O]));
  const name = e.out(out, shape, 'nchw');
  e.withActivation(activation, (o) => e.node('Conv', ins, [o], {
    dilations, group, kernel_shape: [kh, kw], pads: [ph[0], pw[0], ph[1], pw[1]], strides,
  }), name);
  return shape;
}

/**
 * Transposed convolution with TensorFlow's output-size semantics. `weight` is ONNX layout (I × O × kH × kW).
 */
export function convTranspose2d(e, { x, out, weight, weightShape, bias, strides, outputHW, activation }) {
  const [N, H, W] = e.get(x).shape;
  const [, O, kh, kw] = weightShape;
  const pads = [];
  for (const [inS, k, s, o] of [[H, kh, strides[0], outputHW[0]], [W, kw, strides[1], outputHW[1]]]) {
    const total = (inS - 1) * s + k - o;
    if (total < 0) throw new ConversionError(`Transposed conv "${out}": output ${o} larger than (in-1)*stride+k`);
    pads.push([Math.floor(total / 2), total - Math.floor(total / 2)]);
  }
  const shape = [N, outputHW[0], outputHW[1], O];
  const ins = [e.nchw(x), e.initializer(`${out}_weight`, weight, weightShape)];
  if (bias) ins.push(e.initializer(`${out}_bias`, bias, [O]));
  const name = e.out(out, shape, 'nchw');
  e.withActivation(activation, (o) => e.node('ConvTranspose', ins, [o], {
    kernel_shape: [kh, kw], pads: [pads[0][0], pads[1][0], pads[0][1], pads[1][1]], strides,
  }), name);
  return shape;
}

export function pool2d(e, { x, out, type, filter, strides, padding, activation }) {
  const [N, H, W, C] = e.get(x).shape;
  const [ph, pw] = resolvePads(padding, H, W, filter[0], filter[1], strides[0], strides[1]);
  const shape = [N, spatialOut(H, filter[0], strides[0], 1, ph), spatialOut(W, filter[1], strides[1], 1, pw), C];
  const name = e.out(out, shape, 'nchw');
  const attrs = { kernel_shape: filter, pads: [ph[0], pw[0], ph[1], pw[1]], strides };
  // TensorFlow's SAME average pooling divides by the number of real (unpadded) elements.
  if (type === 'avg') attrs.count_include_pad = 0;
  e.withActivation(activation, (o) => e.node(type === 'avg' ? 'AveragePool' : 'MaxPool', [e.nchw(x)], [o], attrs), name);
  return shape;
}

export function broadcastShape(a, b) {
  const r = Math.max(a.length, b.length);
  const out = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1, db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new ConversionError(`Shapes ${JSON.stringify(a)} and ${JSON.stringify(b)} do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Element-wise op over any number of inputs (Add, Sub, Mul, Div, Max, Min, Pow, PRelu, Sum, Equal…). */
export function elementwise(e, { inputs, out, op, activation, attrs = {}, dtype }) {
  let shape = inputs.map((k) => e.get(k).shape).reduce(broadcastShape);
  if (inputs.every((k) => e.isConst(k))) throw new ConversionError(`"${out}": ${op} of constants only is not folded`);
  // Work in NCHW when the result is rank 4 and some rank-4 activation is already NCHW (or none is plain).
  const acts = inputs.map((k) => e.get(k)).filter((v) => !v.const);
  const useNchw = shape.length === 4 && acts.some((v) => v.shape.length === 4 && v.layout === 'nchw');
  const names = inputs.map((k) => (useNchw ? e.nchw(k) : e.plain(k)));
  // Integer index arithmetic (TopK indices, gather offsets) keeps its type; comparisons pass dtype 'bool'.
  const name = e.out(out, shape, useNchw ? 'nchw' : 'plain', dtype ?? acts[0]?.dtype ?? 'float32');
  e.withActivation(activation, (o) => e.node(op, names, [o], attrs), name);
  return shape;
}

const IS_INT = (dtype) => dtype === 'int32' || dtype === 'int64';

/**
 * TensorFlow's FloorDiv / FloorMod (results rounded toward −∞, remainder with the divisor's sign).
 * ONNX Div truncates integers toward zero, so integers go through Mod(fmod=0), which has floor semantics:
 * floordiv = (a − floormod(a, b)) / b is then exact. Floats: floor(a / b) and a − b·floor(a / b).
 */
export function floorDivMod(e, { inputs: [a, b], out, mod }) {
  const dtype = [a, b].map((k) => e.get(k)).find((v) => !v.const)?.dtype ?? 'float32';
  if (IS_INT(dtype)) {
    if (mod) return elementwise(e, { inputs: [a, b], out, op: 'Mod', attrs: { fmod: 0 } });
    elementwise(e, { inputs: [a, b], out: `${out}__mod`, op: 'Mod', attrs: { fmod: 0 } });
    elementwise(e, { inputs: [a, `${out}__mod`], out: `${out}__exact`, op: 'Sub' });
    return elementwise(e, { inputs: [`${out}__exact`, b], out, op: 'Div' });
  }
  elementwise(e, { inputs: [a, b], out: `${out}__div`, op: 'Div' });
  if (!mod) return unary(e, { x: `${out}__div`, out, op: 'Floor' });
  unary(e, { x: `${out}__div`, out: `${out}__floor`, op: 'Floor' });
  elementwise(e, { inputs: [`${out}__floor`, b], out: `${out}__times`, op: 'Mul' });
  return elementwise(e, { inputs: [a, `${out}__times`], out, op: 'Sub' });
}

/** Type conversion; keeps shape and layout. bool → number gives 0/1, float → int truncates (TensorFlow's Cast). */
export function cast(e, { x, out, dtype }) {
  const ONNX_TYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 };
  if (!ONNX_TYPE[dtype]) throw new ConversionError(`Cast to ${dtype} is not supported`);
  const v = e.get(x);
  if (v.const && dtype !== 'bool') {
    const data = dtype === 'float32' ? Float32Array.from(v.const.data) : Int32Array.from(v.const.data, Math.trunc);
    e.setConst(out, data, v.shape, dtype === 'float32' ? 'float32' : 'int32');
    return v.shape;
  }
  const name = e.out(out, v.shape, v.const ? 'plain' : v.layout, dtype);
  e.node('Cast', [v.const ? e.plain(x) : v.name], [name], { to: ONNX_TYPE[dtype] });
  return v.shape;
}

/**
 * Top k along the last axis, largest first (TensorFlow TopKV2, sorted). Writes `out` (values) and
 * `indicesOut` (int32, as TensorFlow gives them; ONNX's int64 is cast so index arithmetic stays int32).
 */
export function topK(e, { x, out, indicesOut, k }) {
  const v = e.get(x);
  const shape = [...v.shape.slice(0, -1), k];
  if (k > v.shape[v.shape.length - 1]) throw new ConversionError(`TopK "${out}": k = ${k} exceeds the last dimension ${v.shape[v.shape.length - 1]}`);
  const idx64 = e.tmp(`${out}_idx64`);
  e.node('TopK', [e.plain(x), e.int64s('k', [k])], [e.out(out, shape, 'plain', v.dtype), idx64], { axis: -1, largest: 1, sorted: 1 });
  e.node('Cast', [idx64], [e.out(indicesOut, shape, 'plain', 'int32')], { to: 6 });
  return shape;
}

/** Index of the largest value along `axis`, that axis removed (TFLite ARG_MAX, TF ArgMax). */
export function argMax(e, { x, out, axis, dtype = 'int64' }) {
  const v = e.get(x);
  const rank = v.shape.length;
  axis = normAxis(axis, rank);
  const shape = v.shape.filter((_, i) => i !== axis);
  // Dropping axis 3 (channels) of an NCHW tensor leaves [N, H, W], the order NHWC would leave too; other axes go through the plain layout.
  const nchw = rank === 4 && v.layout === 'nchw' && !v.const && axis === 3;
  const src = nchw ? v.name : e.plain(x);
  const target = dtype === 'int64' ? e.out(out, shape, 'plain', 'int64') : e.tmp(`${out}_i64`);
  e.node('ArgMax', [src], [target], { axis: nchw ? NHWC_AXIS_TO_NCHW[axis] : axis, keepdims: 0, select_last_index: 0 });
  if (dtype !== 'int64') e.node('Cast', [target], [e.out(out, shape, 'plain', dtype)], { to: dtype === 'int32' ? 6 : 7 });
  return shape;
}

/** TensorFlow GatherV2 with batch_dims 0: ONNX Gather on the plain layout. */
export function gather(e, { x, indices, out, axis }) {
  const v = e.get(x), iv = e.get(indices);
  axis = normAxis(axis, v.shape.length);
  const shape = [...v.shape.slice(0, axis), ...iv.shape, ...v.shape.slice(axis + 1)];
  e.node('Gather', [e.plain(x), e.plain(indices)], [e.out(out, shape, 'plain', v.dtype)], { axis });
  return shape;
}

/** Unary op that keeps shape and layout. */
export function unary(e, { x, out, op, attrs = {}, extraInputs = [] }) {
  const v = e.get(x);
  const name = e.out(out, v.shape, v.layout);
  e.node(op, [v.const ? e.plain(x) : v.name, ...extraInputs], [name], attrs);
  return v.shape;
}

export function activationOp(e, { x, out, act, alpha }) {
  const v = e.get(x);
  const src = v.const ? e.plain(x) : v.name;
  const name = e.out(out, v.shape, v.const ? 'plain' : v.layout);
  switch (act) {
    case 'hardswish': {
      const hs = e.node('HardSigmoid', [src], [e.tmp(`${out}_hsig`)], { alpha: 1 / 6, beta: 0.5 });
      e.node('Mul', [src, hs], [name]);
      break;
    }
    case 'leakyrelu': e.node('LeakyRelu', [src], [name], { alpha }); break;
    case 'elu': e.node('Elu', [src], [name], { alpha: alpha ?? 1 }); break;
    default: e.activation(act, src, name);
  }
  return v.shape;
}

function normAxis(a, rank) { return a < 0 ? a + rank : a; }

export function reduce(e, { x, out, op, axes, keepDims }) {
  const v = e.get(x);
  const rank = v.shape.length;
  axes = [...new Set(axes.map((a) => normAxis(a, rank)))].sort();
  const shapeKeep = v.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const shape = keepDims ? shapeKeep : v.shape.filter((_, i) => !axes.includes(i));
  const attrAxes = (ax) => ax;
  const build = (src, ax, kd, o) => {
    if (op === 'ReduceMean' || op === 'ReduceMax' || op === 'ReduceMin' || op === 'ReduceProd') {
      return e.node(op, [src], [o], { axes: attrAxes(ax), keepdims: kd ? 1 : 0 });
    }
    return e.node(op, [src, e.int64s('axes', ax)], [o], { keepdims: kd ? 1 : 0 });
  };
  if (rank === 4 && v.layout === 'nchw') {
    const nAxes = axes.map((a) => NHWC_AXIS_TO_NCHW[a]).sort();
    if (keepDims) {
      build(v.name, nAxes, true, e.out(out, shape, 'nchw'));
    } else if (axes.join() === '1,2') {
      build(v.name, nAxes, false, e.out(out, shape, 'plain'));
    } else {
      const kept = build(v.name, nAxes, true, e.tmp(`${out}_keep`));
      e.set(`${out}__keep`, { name: kept, shape: shapeKeep, layout: 'nchw', dtype: 'float32' });
      e.node('Reshape', [e.plain(`${out}__keep`), e.int64s('shape', shape)], [e.out(out, shape, 'plain')]);
    }
  } else {
    build(e.plain(x), axes, keepDims, e.out(out, shape, 'plain'));
  }
  return shape;
}

/** Reshape with TensorFlow semantics (row-major over the NHWC shape). */
export function reshape(e, { x, out, shape: target }) {
  const v = e.get(x);
  const n = product(v.shape);
  const shape = [...target];
  const neg = shape.indexOf(-1);
  if (neg >= 0) shape[neg] = n / product(shape.filter((d, i) => i !== neg));
  if (product(shape) !== n) throw new ConversionError(`Reshape "${out}": ${JSON.stringify(v.shape)} cannot become ${JSON.stringify(target)}`);
  if (v.const) { e.setConst(out, v.const.data, shape, v.dtype); return shape; }
  e.node('Reshape', [e.plain(x), e.int64s('shape', shape)], [e.out(out, shape, 'plain', v.dtype)]);
  return shape;
}

export function concat(e, { inputs, out, axis, activation }) {
  const vs = inputs.map((k) => e.get(k));
  const rank = vs[0].shape.length;
  axis = normAxis(axis, rank);
  const shape = [...vs[0].shape];
  shape[axis] = vs.reduce((s, v) => s + v.shape[axis], 0);
  const useNchw = rank === 4 && vs.some((v) => !v.const && v.layout === 'nchw');
  const names = inputs.map((k) => (useNchw ? e.nchw(k) : e.plain(k)));
  const name = e.out(out, shape, useNchw ? 'nchw' : 'plain');
  e.withActivation(activation, (o) => e.node('Concat', names, [o], { axis: useNchw ? NHWC_AXIS_TO_NCHW[axis] : axis }), name);
  return shape;
}

/** pads: [[before, after]] per NHWC axis. */
export function pad(e, { x, out, pads, value = 0, mode = 'constant' }) {
  const v = e.get(x);
  const shape = v.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const useNchw = v.shape.length === 4 && v.layout === 'nchw';
  const order = useNchw ? [0, 3, 1, 2] : v.shape.map((_, i) => i);
  const flat = [...order.map((i) => pads[i][0]), ...order.map((i) => pads[i][1])];
  const ins = [useNchw ? v.name : e.plain(x), e.int64s('pads', flat)];
  if (mode === 'constant' && value !== 0) ins.push(e.scalar(value));
  e.node('Pad', ins, [e.out(out, shape, useNchw ? 'nchw' : 'plain')], { mode });
  return shape;
}

/** Bilinear / nearest resize of an NHWC image to [h, w] with TensorFlow's coordinate conventions. */
export function resize(e, { x, out, size, method, alignCorners = false, halfPixelCenters = false }) {
  const [N, , , C] = e.get(x).shape;
  const shape = [N, size[0], size[1], C];
  const attrs = {};
  if (method === 'bilinear') {
    attrs.mode = 'linear';
    attrs.coordinate_transformation_mode = alignCorners ? 'align_corners' : halfPixelCenters ? 'half_pixel' : 'asymmetric';
  } else {
    attrs.mode = 'nearest';
    if (alignCorners) { attrs.coordinate_transformation_mode = 'align_corners'; attrs.nearest_mode = 'round_prefer_ceil'; }
    else if (halfPixelCenters) { attrs.coordinate_transformation_mode = 'tf_half_pixel_for_nn'; attrs.nearest_mode = 'floor'; }
    else { attrs.coordinate_transformation_mode = 'asymmetric'; attrs.nearest_mode = 'floor'; }
  }
  const sizes = e.int64s('sizes', [N, C, size[0], size[1]]);
  e.node('Resize', [e.nchw(x), '', '', sizes], [e.out(out, shape, 'nchw')], attrs);
  return shape;
}

/** y = x · Wᵀ + b with W given as [out, in] (TFLite FULLY_CONNECTED convention). */
export function dense(e, { x, out, weight, weightShape, bias, activation, outShape }) {
  const v = e.get(x);
  const [O, I] = weightShape;
  let src = e.plain(x);
  const rows = product(v.shape) / I;
  if (!Number.isInteger(rows)) throw new ConversionError(`Dense "${out}": input ${JSON.stringify(v.shape)} not divisible by ${I}`);
  if (v.shape.length !== 2 || v.shape[1] !== I) src = e.node('Reshape', [src, e.int64s('shape', [-1, I])], [e.tmp(`${out}_flat`)]);
  const ins = [src, e.initializer(`${out}_weight`, weight, weightShape)];
  if (bias) ins.push(e.initializer(`${out}_bias`, bias, [O]));
  const shape2 = [rows, O];
  const finalShape = outShape && product(outShape) === rows * O ? outShape : shape2;
  const reshapeAfter = finalShape.length !== 2 || finalShape[0] !== rows;
  const name = e.out(out, finalShape, 'plain');
  const target = reshapeAfter ? e.tmp(`${out}_2d`) : name;
  e.withActivation(activation, (o) => e.node('Gemm', ins, [o], { transB: 1 }), target);
  if (reshapeAfter) e.node('Reshape', [target, e.int64s('shape', finalShape)], [name]);
  return finalShape;
}

export function softmax(e, { x, out, beta = 1, axis = -1 }) {
  const v = e.get(x);
  const rank = v.shape.length;
  axis = normAxis(axis, rank);
  let src = v.name, layout = v.layout;
  let onnxAxis = axis;
  if (layout === 'nchw') onnxAxis = NHWC_AXIS_TO_NCHW[axis];
  if (beta !== 1) src = e.node('Mul', [src, e.scalar(beta)], [e.tmp(`${out}_scaled`)]);
  e.node('Softmax', [src], [e.out(out, v.shape, layout)], { axis: onnxAxis });
  return v.shape;
}

export function transpose(e, { x, out, perm }) {
  const v = e.get(x);
  const shape = perm.map((p) => v.shape[p]);
  if (v.const) {
    const t = transposeData(v.const.data, v.shape, perm);
    e.setConst(out, t.data, shape, v.dtype);
    return shape;
  }
  e.node('Transpose', [e.plain(x)], [e.out(out, shape, 'plain', v.dtype)], { perm });
  return shape;
}

/** Strided slice over the plain layout; begin/end/strides already resolved (no masks). */
export function slice(e, { x, out, begin, end, strides, squeeze = [] }) {
  const v = e.get(x);
  const axes = v.shape.map((_, i) => i);
  const sliced = v.shape.map((d, i) => Math.max(0, Math.ceil((Math.min(end[i], d) - begin[i]) / strides[i])));
  const shape = sliced.filter((_, i) => !squeeze.includes(i));
  let o = e.node('Slice', [e.plain(x), e.int64s('starts', begin), e.int64s('ends', end), e.int64s('axes', axes), e.int64s('steps', strides)],
    [squeeze.length ? e.tmp(`${out}_sl`) : e.out(out, shape, 'plain', v.dtype)]);
  if (squeeze.length) e.node('Reshape', [o, e.int64s('shape', shape)], [e.out(out, shape, 'plain', v.dtype)]);
  return shape;
}

export function depthToSpace(e, { x, out, blockSize }) {
  const [N, H, W, C] = e.get(x).shape;
  const shape = [N, H * blockSize, W * blockSize, C / (blockSize * blockSize)];
  // TensorFlow's depth_to_space orders depth as (block_y, block_x, channel) = ONNX DCR mode.
  e.node('DepthToSpace', [e.nchw(x)], [e.out(out, shape, 'nchw')], { blocksize: blockSize, mode: 'DCR' });
  return shape;
}
