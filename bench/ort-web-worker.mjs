// Times onnxruntime-web's session.run alone (no frame grab, no pre/post-processing) in a worker, with the
// same runtime files, thread count and model bytes as the element: the browser side of the
// onnxruntime-node comparison. Posted {models:[{url, name}], threads, runs, warmup}; answers per model.
self.onmessage = async ({ data }) => {
  try {
    const base = new URL('/node_modules/onnxruntime-web/dist/', self.location.href).href;
    const ort = await import(`${base}ort.wasm.min.mjs`);
    ort.env.wasm.wasmPaths = base;
    ort.env.wasm.numThreads = data.threads;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    const out = {};
    for (const m of data.models) {
      const bytes = new Uint8Array(await (await fetch(m.url)).arrayBuffer());
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      const feeds = {};
      let seed = 1;
      for (const meta of session.inputMetadata) {
        const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
        const n = dims.reduce((a, b) => a * b, 1);
        const x = new Float32Array(n);
        for (let i = 0; i < n; i++) x[i] = ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1; // fixed pseudo-random input
        feeds[meta.name] = new ort.Tensor('float32', x, dims);
      }
      const times = [];
      for (let i = 0; i < data.warmup + data.runs; i++) {
        const t0 = performance.now();
        const res = await session.run(feeds);
        const ms = performance.now() - t0;
        for (const t of Object.values(res)) t.dispose();
        if (i >= data.warmup) times.push(ms);
      }
      await session.release();
      out[m.name] = times;
    }
    self.postMessage({ ok: true, times: out });
  } catch (e) {
    self.postMessage({ ok: false, error: String(e?.message ?? e) });
  }
};
