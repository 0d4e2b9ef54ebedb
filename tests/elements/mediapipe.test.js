// backend="mediapipe": MediaPipe Tasks (tasks-vision 0.10.35) in the worker, checked against the ONNX path on a
// real photo (NASA's astronaut portrait), plus the unsupported-combination error and its recovery.
import { expect } from '@esm-bundle/chai';
import { executeServerCommand } from '@web/test-runner-commands';
import { InferenceClient } from '/dist/cv-elements.js';
import { eventWhere, mount, nextEvent } from './helpers.js';

const PHOTO = '/tests/.fixtures/astronaut.png';

async function photo() {
  const img = document.createElement('img');
  img.id = 'photo';
  img.src = PHOTO;
  document.body.append(img);
  await img.decode();
  return img;
}

/** Mounts an element, waits for ready and the first result, and returns [element, ready detail, result detail]. */
async function run(markup) {
  const el = mount(markup);
  const ready = nextEvent(el, 'cv-ready', 120000);
  const result = nextEvent(el, 'cv-result', 120000);
  return [el, (await ready).detail, (await result).detail];
}

function maskIoU(a, b) {
  expect(a.width).to.equal(b.width);
  expect(a.height).to.equal(b.height);
  let inter = 0, union = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    const x = a.data[i] >= 128, y = b.data[i] >= 128;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union ? inter / union : 1;
}

function boxIoU(a, b) {
  const x1 = Math.max(a.x, b.x), y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.width, b.x + b.width), y2 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  return inter / (a.width * a.height + b.width * b.height - inter);
}

afterEach(() => {
  document.querySelectorAll('cv-classify, cv-segment, cv-generate, img').forEach((el) => el.remove());
});

describe('backend="mediapipe"', () => {
  it('<cv-segment> gives the person mask the ONNX path gives on the same photo (IoU ≥ 0.9)', async () => {
    await photo();
    const [mp, mpReady, mpResult] = await run('<cv-segment backend="mediapipe" source="#photo" effect="none"></cv-segment>');
    expect(mpReady.backend).to.equal('mediapipe');
    const mpMask = await mp.readMask();
    mp.remove();
    const [onnx, onnxReady, onnxResult] = await run('<cv-segment backend="wasm" source="#photo" effect="none"></cv-segment>');
    expect(onnxReady.backend).to.equal('wasm');
    const onnxMask = await onnx.readMask();
    // Same result shape as the ONNX path: the model's 256×256 grid over the whole frame.
    expect([mpResult.width, mpResult.height]).to.deep.equal([onnxResult.width, onnxResult.height]);
    // The astronaut fills much of the portrait; neither mask is empty or full.
    expect(mpResult.foreground).to.be.within(0.2, 0.9);
    expect(onnxResult.foreground).to.be.within(0.2, 0.9);
    const iou = maskIoU(mpMask, onnxMask);
    console.log(`mediapipe vs onnx mask IoU ${iou.toFixed(4)}, foreground ${mpResult.foreground.toFixed(3)} vs ${onnxResult.foreground.toFixed(3)}, inference ${mpResult.inferenceMs.toFixed(1)} vs ${onnxResult.inferenceMs.toFixed(1)} ms`);
    expect(iou).to.be.at.least(0.9);
  });

  it('<cv-classify roi="face"> finds the one face with MediaPipe where the ONNX path does (box IoU ≥ 0.8)', async () => {
    await photo();
    const [mp, mpReady, mpResult] = await run('<cv-classify roi="face" top-k="1" backend="mediapipe" source="#photo"></cv-classify>');
    expect(mpReady.backend).to.equal('mediapipe');
    mp.remove();
    const [, , onnxResult] = await run('<cv-classify roi="face" top-k="1" backend="wasm" source="#photo"></cv-classify>');
    expect(mpResult.labels).to.have.length(1);
    expect(onnxResult.labels).to.have.length(1);
    const a = mpResult.labels[0], b = onnxResult.labels[0];
    const iou = boxIoU(a.box, b.box);
    console.log(`mediapipe face ${JSON.stringify(a.box)} vs onnx ${JSON.stringify(b.box)}: IoU ${iou.toFixed(4)}; labels ${a.label} / ${b.label}`);
    expect(iou).to.be.at.least(0.8);
    // The box is in frame pixels of the 512×512 photo, and the expression classifier ran on it.
    expect(a.box.x).to.be.within(0, 512);
    expect(a.box.width).to.be.within(20, 512);
    expect(a.label).to.equal(b.label);
  });

  it('releases its sessions when the elements go', async () => {
    await photo();
    const [el] = await run('<cv-segment backend="mediapipe" source="#photo" effect="none"></cv-segment>');
    expect(Object.keys(InferenceClient.openSessions()).some((k) => k.startsWith('mediapipe:'))).to.equal(true);
    el.remove();
    expect(Object.keys(InferenceClient.openSessions()).filter((k) => k.startsWith('mediapipe:'))).to.deep.equal([]);
  });

  it('<cv-generate backend="mediapipe"> fires backend-unavailable and recovers when backend goes back to wasm', async () => {
    await photo();
    const el = mount('<cv-generate src="esrgan" variants="1" backend="mediapipe" source="#photo"></cv-generate>');
    const err = await nextEvent(el, 'cv-error');
    expect(err.detail.code).to.equal('backend-unavailable');
    expect(err.detail.message).to.contain('mediapipe');
    await el.updateComplete;
    expect(el.shadowRoot.querySelector('[part~="error"]').hidden).to.equal(false);
    const ready = nextEvent(el, 'cv-ready', 120000);
    el.setAttribute('backend', 'wasm');
    expect((await ready).detail.backend).to.equal('wasm');
    await eventWhere(el, 'cv-result', (d) => d.images === 1, 120000);
    await el.updateComplete;
    expect(el.shadowRoot.querySelector('[part~="error"]').hidden).to.equal(true);
  });

  it('made no request outside this machine', async () => {
    expect(await executeServerCommand('external-requests')).to.deep.equal([]);
  });
});
