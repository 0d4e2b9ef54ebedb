// The WebGL compositor gives its context back when disposed (Chrome keeps ~16 a page), and survives a
// lost context: draws are skipped while lost, and everything is rebuilt when the context is restored.
// Imported from src/ (the dev server compiles it) because these classes are not public API.
import { expect } from '@esm-bundle/chai';
import { MaskCompositor, liveWebglCompositors } from '/src/overlay/mask-compositor.ts';

function frame() {
  const c = new OffscreenCanvas(32, 32);
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#f00';
  ctx.fillRect(0, 0, 32, 32);
  return c;
}

describe('reliability: WebGL contexts', () => {
  it('20 compositors made and disposed in turn: each context is lost on dispose, the live count returns to 0', () => {
    const before = liveWebglCompositors();
    const canvases = [];
    for (let i = 0; i < 20; i++) {
      const canvas = new OffscreenCanvas(32, 32);
      const c = new MaskCompositor(canvas);
      c.setMask(new Uint8Array(16 * 16).fill(255), 16, 16);
      c.draw(frame(), 32, 32, 'replace', 0.5, 0.5);
      c.dispose();
      canvases.push(canvas);
    }
    expect(liveWebglCompositors()).to.equal(before);
    expect(canvases.every((c) => c.getContext('webgl2').isContextLost())).to.equal(true);
  });

  it('a lost context: draws are skipped without throwing, and drawing works again once restored', async () => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 32;
    document.body.append(canvas);
    const c = new MaskCompositor(canvas);
    const gl = canvas.getContext('webgl2');
    const lose = gl.getExtension('WEBGL_lose_context');
    const lost = new Promise((r) => canvas.addEventListener('webglcontextlost', r, { once: true }));
    lose.loseContext();
    await Promise.race([lost, new Promise((_, j) => setTimeout(() => j(new Error('no webglcontextlost')), 5000))]);
    expect(c.lost).to.equal(true);
    c.setMask(new Uint8Array(16 * 16).fill(255), 16, 16);
    c.draw(frame(), 32, 32, 'replace', 0.5, 0.5); // no throw
    const restored = new Promise((r) => canvas.addEventListener('webglcontextrestored', r, { once: true }));
    await new Promise((r) => setTimeout(r, 50));
    lose.restoreContext();
    await Promise.race([restored, new Promise((_, j) => setTimeout(() => j(new Error('no webglcontextrestored')), 5000))]);
    expect(c.lost).to.equal(false);
    c.setBackground([0, 0, 1]);
    c.setMask(new Uint8Array(16 * 16).fill(0), 16, 16); // all background
    c.draw(frame(), 32, 32, 'replace', 0.5, 0.5);
    const px = new Uint8Array(4);
    gl.readPixels(16, 16, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
    expect(Array.from(px.slice(0, 3))).to.deep.equal([0, 0, 255]);
    expect(gl.getError()).to.equal(gl.NO_ERROR);
    c.dispose();
    canvas.remove();
  });
});
