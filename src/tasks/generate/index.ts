import { defineTask } from '../task.js';
import { runGenerate, type GenerateRequest, type GenerateResult } from './pipeline.js';

/** `<cv-generate>`: images from the frame (VAE, image-to-image) or from a latent walk (DCGAN). */
export const generateTask = defineTask<GenerateRequest, GenerateResult>({
  name: 'generate',
  run: (ctx, frame, req) => runGenerate(ctx, (key) => ctx.model(key), frame, req),
  async finish(result) {
    // Decoded here, so painting on the page is a drawImage per image (ESRGAN's 256×256 upscales cost
    // the page 2.5 ms a frame as putImageData).
    result.bitmaps = await Promise.all(result.images.map((px) => createImageBitmap(new ImageData(px as Uint8ClampedArray<ArrayBuffer>, result.width, result.height))));
  },
  transferables: (result) => [...result.images.map((img) => img.buffer), ...(result.bitmaps ?? [])],
});
