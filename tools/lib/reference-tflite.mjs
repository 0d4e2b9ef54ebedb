// Reference TFLite interpreter: @tensorflow/tfjs-tflite's WASM build (TFLite + XNNPACK), run directly in Node.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fbRoot } from './flatbuf.mjs';

const require = createRequire(import.meta.url);
let modulePromise = null;

function wasmDir() {
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
}

async function loadModule() {
  if (!modulePromise) {
    const dir = wasmDir();
    const factory = require(path.join(dir, 'tflite_web_api_cc_simd.js'));
    // Silence the runtime's INFO logging; keep errors.
    modulePromise = factory({
      wasmBinary: fs.readFileSync(path.join(dir, 'tflite_web_api_cc_simd.wasm')),
      print: () => {},
      printErr: (s) => { if (!/^INFO:/.test(s)) process.stderr.write(`[tflite] ${s}\n`); },
    });
  }
  return modulePromise;
}

/**
 * Loads a .tflite model into the reference interpreter.
 * @param {Uint8Array} bytes
 */
export async function createTfliteRunner(bytes) {
  const k = await loadModule();
  const ptr = k._malloc(bytes.length);
  k.HEAPU8.set(bytes, ptr);
  const r = k.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, bytes.length, { numThreads: 1, enableProfiling: false, maxProfilingBufferEntries: 1024 });
  if (!r.ok()) { const msg = r.errorMessage(); k._free(ptr); throw new Error(`Reference TFLite interpreter rejected the model: ${msg}`); }
  const runner = r.value();
  const list = (v) => { const a = []; for (let i = 0; i < v.size(); i++) a.push(v.get(i)); v.delete(); return a; };
  return {
    inputs: () => list(runner.GetInputs()).map((t) => ({ name: t.name, shape: String(t.shape).split(',').map(Number), dtype: t.dataType })),
    outputs: () => list(runner.GetOutputs()).map((t) => ({ name: t.name, shape: String(t.shape).split(',').map(Number), dtype: t.dataType })),
    /** @param {ArrayLike<number>[]} inputs in model input order @returns {Float32Array[]|Uint8Array[]} */
    run(inputs) {
      const ins = list(runner.GetInputs());
      ins.forEach((t, i) => t.data().set(inputs[i]));
      if (!runner.Infer()) throw new Error('Reference TFLite inference failed');
      return list(runner.GetOutputs()).map((t) => t.data().slice());
    },
    dispose() { runner.delete(); k._free(ptr); },
  };
}

/**
 * Returns a copy of a .tflite file that runs only its first `opCount` operators and outputs `outputTensors`.
 * Edits the flatbuffer in place (shrinks the operators vector, rewrites the outputs vector), which is
 * valid because both only get shorter. Used to compare against a reference that lacks a trailing custom op.
 */
export function truncateTflite(bytes, opCount, outputTensors) {
  const copy = new Uint8Array(bytes);
  const model = fbRoot(copy);
  const sg = model.tables(2)[0];
  const opsVec = sg.vec(3);
  if (opCount > opsVec.len) throw new Error(`Model has only ${opsVec.len} operators`);
  const dv = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  dv.setUint32(opsVec.start - 4, opCount, true);
  const outVec = sg.vec(2);
  if (outputTensors.length > outVec.len) throw new Error('Cannot grow the outputs vector in place');
  dv.setUint32(outVec.start - 4, outputTensors.length, true);
  outputTensors.forEach((t, i) => dv.setInt32(outVec.start + 4 * i, t, true));
  return copy;
}
