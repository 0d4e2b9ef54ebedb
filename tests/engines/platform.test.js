// Per-engine suite (runs in Chromium, Firefox and WebKitGTK): what the engine under test offers,
// checked and logged first, so every later capability skip can point here.
import { expect } from '@esm-bundle/chai';
import { engine } from './engine.js';

describe(`engine platform (${engine.name})`, () => {
  it('is cross-origin isolated (COOP/COEP from the test server), so wasm threads can share memory', () => {
    expect(self.crossOriginIsolated, navigator.userAgent).to.equal(true);
    // WebKitGTK hides the SharedArrayBuffer constructor on the page yet gives shared wasm memory: test the latter.
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    expect(Object.prototype.toString.call(mem.buffer)).to.equal('[object SharedArrayBuffer]');
  });

  it('logs the APIs the elements detect', async () => {
    const features = await engine.features();
    console.log(`[engine] ${engine.name}: ${JSON.stringify(features)}`);
    expect(features.OffscreenCanvas, 'the worker resamples frames on an OffscreenCanvas').to.equal(true);
    expect(features.moduleWorker, 'the inference worker is a module worker').to.equal(true);
  });
});
