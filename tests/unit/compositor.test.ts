// Both mask compositors on real canvases: the WebGL2 one (real GPUs) and the 2D one (software GL, which is
// what this machine has, so the elements pick it here). Each effect is checked on pixels.
import { expect } from '@esm-bundle/chai';
import { createCompositor, cssColorToRgb, webglRenderer, type Compositor } from '../../src/overlay/compositor.js';

const W = 64;
const H = 48;

/** A frame: red on the left half, blue on the right; a mask: foreground (255) on the left half. */
function scene() {
  const frame = new OffscreenCanvas(W, H);
  const f = frame.getContext('2d')!;
  f.fillStyle = '#f00';
  f.fillRect(0, 0, W / 2, H);
  f.fillStyle = '#00f';
  f.fillRect(W / 2, 0, W / 2, H);
  const mask = new Uint8Array(16 * 12);
  for (let y = 0; y < 12; y++) for (let x = 0; x < 8; x++) mask[y * 16 + x] = 255;
  return { frame, mask };
}

async function pixel(c: Compositor, x: number, y: number): Promise<number[]> {
  const shot = await c.snapshot();
  const probe = new OffscreenCanvas(shot.width, shot.height).getContext('2d')!;
  probe.drawImage(shot, 0, 0);
  const sx = Math.floor((x / W) * shot.width);
  const sy = Math.floor((y / H) * shot.height);
  return Array.from(probe.getImageData(sx, sy, 1, 1).data);
}

for (const kind of ['webgl2', '2d'] as const) {
  describe(`${kind} mask compositor`, () => {
    let c: Compositor;
    const { frame, mask } = scene();
    beforeEach(function () {
      if (kind === 'webgl2' && webglRenderer() === null) this.skip();
      c = createCompositor(new OffscreenCanvas(1, 1), kind);
      expect(c.kind).to.equal(kind);
      c.setMask(mask, 16, 12);
    });
    afterEach(() => c?.dispose());

    it('mask: a translucent tint over the person only, at mask resolution', async () => {
      c.draw(frame, W, H, 'mask', 0.5, 0.5);
      expect([c.canvas.width, c.canvas.height]).to.deep.equal([16, 12]);
      const person = await pixel(c, 8, 24);
      const background = await pixel(c, 56, 24);
      expect(person[3]).to.be.within(110, 145); // opacity 0.5
      expect(person[1]!).to.be.greaterThan(person[0]!); // the green tint
      expect(background[3]).to.equal(0);
    });

    it('replace: the person stays, the background becomes the colour', async () => {
      c.setBackground(cssColorToRgb('#00ff00')!);
      c.draw(frame, W, H, 'replace', 0.5, 0.5);
      expect([c.canvas.width, c.canvas.height]).to.deep.equal([W, H]);
      const [r, , , a] = await pixel(c, 8, 24);
      const [r2, g2, b2] = await pixel(c, 56, 24);
      expect(r).to.be.greaterThan(200);
      expect(a).to.equal(255);
      expect([r2! < 40, g2! > 200, b2! < 40]).to.deep.equal([true, true, true]);
    });

    it('replace with an image background', async () => {
      const bg = new OffscreenCanvas(W, H);
      const g = bg.getContext('2d')!;
      g.fillStyle = '#ff0';
      g.fillRect(0, 0, W, H);
      c.setBackground(await createImageBitmap(bg));
      c.draw(frame, W, H, 'replace', 0.5, 0.5);
      const [r, g2, b] = await pixel(c, 56, 24);
      expect([r! > 200, g2! > 200, b! < 40]).to.deep.equal([true, true, true]);
    });

    it('switches effects on one canvas (mask at mask size, then replace at frame size, then mask)', async () => {
      c.draw(frame, W, H, 'mask', 0.5, 0.5);
      c.setBackground([0, 1, 0]);
      c.draw(frame, W, H, 'replace', 0.5, 0.5);
      expect([c.canvas.width, c.canvas.height]).to.deep.equal([W, H]);
      expect((await pixel(c, 56, 24))[1]).to.be.greaterThan(200);
      c.draw(frame, W, H, 'mask', 0.5, 0.5);
      expect([c.canvas.width, c.canvas.height]).to.deep.equal([16, 12]);
      expect((await pixel(c, 56, 24))[3]).to.equal(0);
    });

    it('blur: the person is sharp, the background is the blurred frame', async () => {
      c.draw(frame, W, H, 'blur', 0.5, 0.5);
      const person = await pixel(c, 4, 24);
      const background = await pixel(c, 60, 24);
      expect(person[0]).to.be.greaterThan(200);
      expect(background[2]).to.be.greaterThan(150); // still blue far from the edge
      // Near the red/blue edge on the background side, the blur mixes in red.
      const nearEdge = await pixel(c, 34, 24);
      expect(nearEdge[0]).to.be.greaterThan(20);
    });
  });
}
