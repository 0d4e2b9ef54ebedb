// Selfie segmentation latency on WASM, same photo, ~60 frames, in whichever engine runs this file:
//   CV_ENGINE=firefox npx web-test-runner --files bench/engines-latency.test.js
// Prints one [latency] line; docs/browsers.md "Measured on this machine" holds the numbers.
import { expect } from '@esm-bundle/chai';
import { mount, nextEvent } from '../tests/elements/helpers.js';

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

it('selfie segmentation on WASM: median and p95 over 60 frames', async () => {
  const img = new Image();
  img.src = '/tests/.fixtures/astronaut.png';
  await img.decode();
  const c = Object.assign(document.createElement('canvas'), { id: 'astro', width: 512, height: 512 });
  c.getContext('2d').drawImage(img, 0, 0);
  document.body.append(c);
  const el = mount('<cv-segment source="#astro" backend="wasm"></cv-segment>');
  const ready = await nextEvent(el, 'cv-ready', 120000);
  const latency = [], inference = [];
  await new Promise((resolve) => {
    el.addEventListener('cv-result', (e) => {
      // The first 5 runs warm up the session and the JIT.
      if (e.detail.frame > 5) {
        latency.push(e.detail.latencyMs);
        inference.push(e.detail.inferenceMs ?? el.stats.inferenceMs);
      }
      if (latency.length >= 60) resolve();
    });
  });
  const fmt = (xs) => `median ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms`;
  console.log(`[latency] ${navigator.userAgent} | threads ${ready.detail.threads} | capture-to-result ${fmt(latency)} | inference ${fmt(inference)} | compositing ${JSON.stringify(el.compositing)}`);
  expect(latency).to.have.length(60);
  el.remove();
});
