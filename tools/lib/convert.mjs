// Front door for conversion: picks the front-end from the input file.
import fs from 'node:fs';
import { convertTflite } from './convert-tflite.mjs';
import { convertTfjs } from './convert-tfjs.mjs';

/**
 * @param {string} input .tflite file or TF.js model.json
 * @param {{inputShape?: number[]}} opts
 */
export function convertFile(input, opts = {}) {
  if (input.endsWith('.json')) return convertTfjs(input, opts);
  const bytes = fs.readFileSync(input);
  if (bytes.length >= 8 && bytes.subarray(4, 8).toString() === 'TFL3') return convertTflite(bytes);
  throw new Error(`${input}: not a .tflite flatbuffer (no TFL3 identifier) or a TF.js model.json`);
}
