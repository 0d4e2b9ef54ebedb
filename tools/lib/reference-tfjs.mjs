// Reference runtime for TF.js models: @tensorflow/tfjs 4.x CPU backend in Node, reading local files.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** An io.IOHandler that reads model.json and its shards from disk (file:// needs tfjs-node). */
export function fileHandler(modelJsonPath) {
  return {
    async load() {
      const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
      const dir = path.dirname(modelJsonPath);
      const weightSpecs = [];
      const bufs = [];
      for (const g of json.weightsManifest) {
        weightSpecs.push(...g.weights);
        for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(bufs);
      return {
        modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy,
        signature: json.signature, userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

/** Loads a graph or layers model; returns run(Float32Array NHWC, shape) → Float32Array[]. */
export async function createTfjsRunner(modelJsonPath) {
  await tf.setBackend('cpu');
  const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
  const isGraph = json.format === 'graph-model' || !!json.modelTopology?.node;
  const model = isGraph ? await tf.loadGraphModel(fileHandler(modelJsonPath)) : await tf.loadLayersModel(fileHandler(modelJsonPath));
  return {
    run(data, shape) {
      return tf.tidy(() => {
        const x = tf.tensor(data, shape, 'float32');
        let y = isGraph ? model.execute(x) : model.predict(x);
        if (!Array.isArray(y)) y = [y];
        return y.map((t) => t.dataSync().slice());
      });
    },
    dispose() { model.dispose(); },
  };
}
