// Limits and errors for reading model files nobody vouched for (downloads, user uploads, fuzzed bytes).
// Every reader in tools/lib reports a malformed or oversized file with a ModelFileError that says what
// was wrong and where, instead of a TypeError/RangeError from deep inside, a read of memory that does
// not belong to the file, or an allocation the file cannot justify.
import { ConversionError } from './emitter.mjs';

/** A model file that is malformed, truncated, or declares more than it can hold. */
export class ModelFileError extends ConversionError {
  constructor(message, options) {
    super(message, options);
    this.name = 'ModelFileError';
  }
}

/**
 * Why these numbers: a declared tensor is either stored in the file (weights) or computed at run time
 * (activations). Stored data can never be larger than the bytes that hold it, so a weight is checked
 * against its bytes exactly. Activations only become numbers in the emitted graph, but a dimension
 * still has to be a plain integer that ONNX (int64) and every runtime (int32 sizes) can index, and a
 * tensor of more than 2^31 elements is no camera model.
 */
export const LIMITS = {
  maxRank: 8,
  maxDim: 2 ** 31 - 1,
  maxElements: 2 ** 31 - 1,
};

/**
 * Checks a declared shape and returns its element count.
 * @param {unknown} shape
 * @param {string} what names the tensor in the error
 * @param {{allowFree?: boolean}} [opts] allowFree: -1/null stand for a free dimension (counted as 1)
 */
export function checkShape(shape, what, { allowFree = false } = {}) {
  if (!Array.isArray(shape)) throw new ModelFileError(`${what}: shape is not an array (${typeof shape})`);
  if (shape.length > LIMITS.maxRank) throw new ModelFileError(`${what}: rank ${shape.length} exceeds the limit of ${LIMITS.maxRank}`);
  let n = 1;
  for (const d of shape) {
    if (allowFree && (d === null || d === -1)) continue;
    if (!Number.isInteger(d) || d < 0 || d > LIMITS.maxDim) throw new ModelFileError(`${what}: dimension ${JSON.stringify(d)} in shape ${JSON.stringify(shape)} is not an integer in [0, ${LIMITS.maxDim}]`);
    n *= d;
  }
  if (n > LIMITS.maxElements) throw new ModelFileError(`${what}: shape ${JSON.stringify(shape)} has ${n} elements, over the limit of ${LIMITS.maxElements}`);
  return n;
}

/**
 * Checks that a stored tensor of `count` elements of `elemBytes` each fits in the `available` bytes
 * the file gives it; this is what keeps a 100-byte file from asking for a 4 GB Float32Array.
 */
export function checkStored(count, elemBytes, available, what) {
  const need = count * elemBytes;
  if (need > available) throw new ModelFileError(`${what}: declares ${count} elements (${need} bytes) but the file holds only ${available} bytes for it`);
  return need;
}
