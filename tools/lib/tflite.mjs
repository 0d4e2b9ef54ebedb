// Reader for TensorFlow Lite flatbuffers (schema: tensorflow/lite/schema/schema.fbs).
import { fbRoot } from './flatbuf.mjs';
import { ModelFileError, checkShape, checkStored } from './untrusted.mjs';

/** BuiltinOperator enum values, in schema order. */
export const BUILTIN_OPS = [
  'ADD', 'AVERAGE_POOL_2D', 'CONCATENATION', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'DEPTH_TO_SPACE', 'DEQUANTIZE',
  'EMBEDDING_LOOKUP', 'FLOOR', 'FULLY_CONNECTED', 'HASHTABLE_LOOKUP', 'L2_NORMALIZATION', 'L2_POOL_2D',
  'LOCAL_RESPONSE_NORMALIZATION', 'LOGISTIC', 'LSH_PROJECTION', 'LSTM', 'MAX_POOL_2D', 'MUL', 'RELU',
  'RELU_N1_TO_1', 'RELU6', 'RESHAPE', 'RESIZE_BILINEAR', 'RNN', 'SOFTMAX', 'SPACE_TO_DEPTH', 'SVDF', 'TANH',
  'CONCAT_EMBEDDINGS', 'SKIP_GRAM', 'CALL', 'CUSTOM', 'EMBEDDING_LOOKUP_SPARSE', 'PAD',
  'UNIDIRECTIONAL_SEQUENCE_RNN', 'GATHER', 'BATCH_TO_SPACE_ND', 'SPACE_TO_BATCH_ND', 'TRANSPOSE', 'MEAN', 'SUB',
  'DIV', 'SQUEEZE', 'UNIDIRECTIONAL_SEQUENCE_LSTM', 'STRIDED_SLICE', 'BIDIRECTIONAL_SEQUENCE_RNN', 'EXP', 'TOPK_V2',
  'SPLIT', 'LOG_SOFTMAX', 'DELEGATE', 'BIDIRECTIONAL_SEQUENCE_LSTM', 'CAST', 'PRELU', 'MAXIMUM', 'ARG_MAX',
  'MINIMUM', 'LESS', 'NEG', 'PADV2', 'GREATER', 'GREATER_EQUAL', 'LESS_EQUAL', 'SELECT', 'SLICE', 'SIN',
  'TRANSPOSE_CONV', 'SPARSE_TO_DENSE', 'TILE', 'EXPAND_DIMS', 'EQUAL', 'NOT_EQUAL', 'LOG', 'SUM', 'SQRT', 'RSQRT',
  'SHAPE', 'POW', 'ARG_MIN', 'FAKE_QUANT', 'REDUCE_PROD', 'REDUCE_MAX', 'PACK', 'LOGICAL_OR', 'ONE_HOT',
  'LOGICAL_AND', 'LOGICAL_NOT', 'UNPACK', 'REDUCE_MIN', 'FLOOR_DIV', 'REDUCE_ANY', 'SQUARE', 'ZEROS_LIKE', 'FILL', 'FLOOR_MOD',
  'RANGE', 'RESIZE_NEAREST_NEIGHBOR', 'LEAKY_RELU', 'SQUARED_DIFFERENCE', 'MIRROR_PAD', 'ABS', 'SPLIT_V', 'UNIQUE',
  'CEIL', 'REVERSE_V2', 'ADD_N', 'GATHER_ND', 'COS', 'WHERE', 'RANK', 'ELU', 'REVERSE_SEQUENCE', 'MATRIX_DIAG',
  'QUANTIZE', 'MATRIX_SET_DIAG', 'ROUND', 'HARD_SWISH', 'IF', 'WHILE', 'NON_MAX_SUPPRESSION_V4',
  'NON_MAX_SUPPRESSION_V5', 'SCATTER_ND', 'SELECT_V2', 'DENSIFY', 'SEGMENT_SUM', 'BATCH_MATMUL',
  'PLACEHOLDER_FOR_GREATER_OP_CODES', 'CUMSUM', 'CALL_ONCE', 'BROADCAST_TO', 'RFFT2D', 'CONV_3D', 'IMAG', 'REAL',
  'COMPLEX_ABS', 'HASHTABLE', 'HASHTABLE_FIND', 'HASHTABLE_IMPORT', 'HASHTABLE_SIZE', 'REDUCE_ALL', 'CONV_3D_TRANSPOSE',
  'VAR_HANDLE', 'READ_VARIABLE', 'ASSIGN_VARIABLE', 'BROADCAST_ARGS', 'RANDOM_STANDARD_NORMAL', 'BUCKETIZE',
  'RANDOM_UNIFORM', 'MULTINOMIAL', 'GELU', 'DYNAMIC_UPDATE_SLICE', 'RELU_0_TO_1',
];

/** TensorType enum. */
export const TENSOR_TYPES = ['float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16', 'complex64', 'int8', 'float64'];
/** Bytes per element of each TensorType, for checking constant data against its shape. */
const TYPE_BYTES = { float32: 4, float16: 2, int32: 4, uint8: 1, int64: 8, bool: 1, int16: 2, complex64: 8, int8: 1, float64: 8 };

const ACT = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'];
const PAD = ['SAME', 'VALID'];

/** Parses an op's builtin options table into a plain object. */
function parseOptions(op, t) {
  if (!t) return {};
  switch (op) {
    case 'CONV_2D':
      return { padding: PAD[t.i8(0)], strideW: t.i32(1), strideH: t.i32(2), activation: ACT[t.i8(3)], dilationW: t.i32(4, 1), dilationH: t.i32(5, 1) };
    case 'DEPTHWISE_CONV_2D':
      return { padding: PAD[t.i8(0)], strideW: t.i32(1), strideH: t.i32(2), depthMultiplier: t.i32(3), activation: ACT[t.i8(4)], dilationW: t.i32(5, 1), dilationH: t.i32(6, 1) };
    case 'AVERAGE_POOL_2D': case 'MAX_POOL_2D': case 'L2_POOL_2D':
      return { padding: PAD[t.i8(0)], strideW: t.i32(1), strideH: t.i32(2), filterW: t.i32(3), filterH: t.i32(4), activation: ACT[t.i8(5)] };
    case 'ADD': case 'SUB': case 'MUL': case 'DIV':
      return { activation: ACT[t.i8(0)] };
    case 'CONCATENATION':
      return { axis: t.i32(0), activation: ACT[t.i8(1)] };
    case 'RESHAPE':
      return { newShape: t.i32s(0) };
    case 'RESIZE_BILINEAR':
      return { alignCorners: t.bool(2), halfPixelCenters: t.bool(3) };
    case 'RESIZE_NEAREST_NEIGHBOR':
      return { alignCorners: t.bool(0), halfPixelCenters: t.bool(1) };
    case 'FULLY_CONNECTED':
      return { activation: ACT[t.i8(0)], weightsFormat: t.i8(1), keepNumDims: t.bool(2) };
    case 'SOFTMAX':
      return { beta: t.f32(0) };
    case 'MEAN': case 'SUM': case 'REDUCE_MAX': case 'REDUCE_MIN': case 'REDUCE_PROD':
      return { keepDims: t.bool(0) };
    case 'TRANSPOSE_CONV':
      return { padding: PAD[t.i8(0)], strideW: t.i32(1), strideH: t.i32(2), activation: ACT[t.i8(3)] };
    case 'STRIDED_SLICE':
      return { beginMask: t.i32(0), endMask: t.i32(1), ellipsisMask: t.i32(2), newAxisMask: t.i32(3), shrinkAxisMask: t.i32(4) };
    case 'SQUEEZE':
      return { squeezeDims: t.i32s(0) || [] };
    case 'LEAKY_RELU':
      return { alpha: t.f32(0) };
    case 'SPLIT': case 'SPLIT_V':
      return { numSplits: t.i32(0) };
    case 'GATHER':
      return { axis: t.i32(0), batchDims: t.i32(1) };
    case 'PACK': case 'UNPACK':
      return { valuesCount: t.i32(0), axis: t.i32(1) };
    case 'DEPTH_TO_SPACE': case 'SPACE_TO_DEPTH':
      return { blockSize: t.i32(0) };
    case 'MIRROR_PAD':
      return { mode: t.i8(0) === 0 ? 'REFLECT' : 'SYMMETRIC' };
    case 'BATCH_MATMUL':
      return { adjX: t.bool(0), adjY: t.bool(1) };
    default:
      return {};
  }
}

/**
 * Decodes a .tflite file's first subgraph.
 * @param {Uint8Array} bytes
 */
export function readTflite(bytes) {
  if (bytes.length < 8) throw new ModelFileError(`Not a TFLite flatbuffer: ${bytes.length} bytes is too short`);
  const ident = new TextDecoder().decode(bytes.subarray(4, 8));
  if (ident !== 'TFL3') throw new ModelFileError(`Not a TFLite flatbuffer (file identifier "${ident}", expected "TFL3")`);
  const model = fbRoot(bytes);
  const buffers = model.tables(4).map((b, i) => {
    const data = b.bytes(0);
    if (data && data.length) return data;
    const offset = b.u64(1), size = b.u64(2);
    if (offset > 1 && size > 0) {
      // Large models keep buffers after the flatbuffer; they must still lie inside the file.
      if (offset + size > bytes.length) throw new ModelFileError(`TFLite buffer ${i} (offset ${offset}, ${size} bytes) is outside the ${bytes.length}-byte file`);
      return bytes.subarray(offset, offset + size);
    }
    return null;
  });
  const opcodes = model.tables(1).map((c) => {
    const dep = c.i8(0);
    const code = Math.max(dep, c.i32(3));
    const name = BUILTIN_OPS[code] ?? `BUILTIN_${code}`;
    return { code, name, custom: name === 'CUSTOM' ? c.str(1) : null, version: c.i32(2, 1) };
  });
  const sgs = model.tables(2);
  if (!sgs.length) throw new ModelFileError('TFLite model has no subgraphs');
  const sg = sgs[0];
  const tensors = sg.tables(0).map((t, index) => {
    const q = t.table(4);
    let quant = null;
    if (q) {
      const scale = q.f32s(2);
      if (scale && scale.length) quant = { scale, zeroPoint: q.i64s(3) || scale.map(() => 0), axis: q.i32(6) };
    }
    const bufIndex = t.u32(2);
    if (bufIndex >= buffers.length && bufIndex !== 0) throw new ModelFileError(`TFLite tensor ${index} refers to buffer ${bufIndex}, but the model has ${buffers.length}`);
    const name = t.str(3) ?? `tensor_${index}`;
    const type = TENSOR_TYPES[t.i8(1)] ?? `type${t.i8(1)}`;
    const shape = t.i32s(0) ?? [];
    const data = bufIndex ? buffers[bufIndex] : null;
    // Stored data is checked against its bytes; run-time tensors may keep -1 for a free dimension.
    const sparse = t.has(6);
    const count = checkShape(shape, `TFLite tensor "${name}"`, { allowFree: !data });
    // Sparse tensors store compressed values; the converter refuses them before decoding.
    if (data && data.length && TYPE_BYTES[type] && !sparse) checkStored(count, TYPE_BYTES[type], data.length, `TFLite tensor "${name}"`);
    return { index, name, shape, shapeSignature: t.i32s(7), type, data, quant, sparse };
  });
  const tensorIndex = (i, what) => {
    if (i === -1) return i; // optional input left out
    if (!Number.isInteger(i) || i < 0 || i >= tensors.length) throw new ModelFileError(`TFLite ${what} refers to tensor ${i}, but the subgraph has ${tensors.length}`);
    return i;
  };
  const operators = sg.tables(3).map((o, index) => {
    const oc = opcodes[o.u32(0)];
    if (!oc) throw new ModelFileError(`TFLite operator ${index} has opcode index ${o.u32(0)}, but the model has ${opcodes.length} opcodes`);
    const options = parseOptions(oc.name, o.table(4));
    return {
      index,
      op: oc.name,
      custom: oc.custom,
      version: oc.version,
      inputs: (o.i32s(1) ?? []).map((i) => tensorIndex(i, `operator ${index} (${oc.name}) input`)),
      outputs: (o.i32s(2) ?? []).map((i) => tensorIndex(i, `operator ${index} (${oc.name}) output`)),
      options,
      customOptions: o.bytes(5),
    };
  });
  const metadata = model.tables(6).map((m) => ({ name: m.str(0), buffer: m.u32(1) }));
  const io = (list, what) => (list ?? []).map((i) => { if (i === -1) throw new ModelFileError(`TFLite subgraph ${what} is -1`); return tensorIndex(i, `subgraph ${what}`); });
  return { version: model.u32(0), description: model.str(3), tensors, operators, inputs: io(sg.i32s(1), 'input'), outputs: io(sg.i32s(2), 'output'), metadata, subgraphCount: sgs.length };
}
