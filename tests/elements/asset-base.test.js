// setAssetBase(): every runtime file and catalog model then comes from the app's own folder, and nothing from
// beside the package's modules. This file runs in a page of its own, so its workers start with the base set.
import { expect } from '@esm-bundle/chai';
import { executeServerCommand } from '@web/test-runner-commands';
import { setAssetBase } from '/dist/cv-elements.js';
import { canvasWith, mount, nextEvent } from './helpers.js';

describe('setAssetBase()', () => {
  it('loads the runtime glue and wasm and the catalog model from the base', async () => {
    setAssetBase('/cv-assets');
    canvasWith('person', 64, 64, (ctx, w, h) => {
      ctx.fillStyle = '#884422';
      ctx.fillRect(0, 0, w, h);
    });
    const el = mount('<cv-segment src="selfie-segmentation" precision="int8" source="#person" backend="wasm"></cv-segment>');
    const ready = await nextEvent(el, 'cv-ready', 90000);
    expect(ready.detail.precision).to.equal('int8');
    await nextEvent(el, 'cv-result', 60000);
    const hits = await executeServerCommand('asset-base-hits');
    expect(hits).to.include.members(['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm', 'selfie-segmentation.int8.onnx']);
    // The default locations were not used for the same files.
    const own = performance.getEntriesByType('resource').map((e) => e.name).filter((u) => /\/dist\/wasm\/|\/models\//.test(u));
    expect(own).to.deep.equal([]);
    el.remove();
    setAssetBase(null);
  });
});
