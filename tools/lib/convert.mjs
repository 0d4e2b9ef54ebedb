// Front door for conversion: picks the front-end from the input file.
import fs from 'node:fs';
import { convertTflite } from './convert-tflite.mjs';
import { convertTfjs } from './convert-tfjs.mjs';
import { ConversionError } from './emitter.mjs';
import { ModelFileError } from './untrusted.mjs';

/**
 * The readers check structure, bounds and sizes; a model that passes them can still be inconsistent
 * in ways only an op's lowering meets (a rank the op does not take, a missing attribute). Those must
 * reach the user as a conversion error naming the file, not as a bare TypeError.
 */
export function asModelError(err, file) {
  if (err instanceof ConversionError) return err;
  return new ModelFileError(`${file}: inconsistent model (${err?.name ?? 'Error'}: ${err?.message ?? err})`, { cause: err });
}

/**
 * @param {string} input .tflite file or TF.js model.json
 * @param {{inputShape?: number[]}} opts
 */
export function convertFile(input, opts = {}) {
  try {
    if (input.endsWith('.json')) return convertTfjs(input, opts);
    const bytes = fs.readFileSync(input);
    if (bytes.length >= 8 && bytes.subarray(4, 8).toString() === 'TFL3') return convertTflite(bytes, opts);
  } catch (err) {
    // A file that cannot be opened is an ordinary system error, already clear (ENOENT …).
    if (err?.code && err.syscall) throw err;
    throw asModelError(err, input);
  }
  throw new ModelFileError(`${input}: not a .tflite flatbuffer (no TFL3 identifier) or a TF.js model.json`);
}
