import { CvError } from '../errors.js';
/**
 * Composites a segmentation mask with the frame it was made from, on the GPU (WebGL2): tint the person
 * (`mask`: a translucent layer at mask resolution over the live video, so the frame is not drawn at
 * all), blur the background (`blur`, from the frame's mip chain), or put an image or colour behind
 * (`replace`). The frame never comes back to the CPU.
 */
import { CLASS_COLORS, type Compositor, type SegmentEffect } from './types.js';

const VERT = `#version 300 es
in vec2 pos;
out vec2 uv;
void main() {
  uv = vec2(pos.x * 0.5 + 0.5, 0.5 - pos.y * 0.5);
  gl_Position = vec4(pos, 0.0, 1.0);
}`;

const FRAG = `#version 300 es
precision mediump float;
in vec2 uv;
out vec4 color;
uniform sampler2D frame;
uniform sampler2D mask;
uniform sampler2D bg;
uniform int effect;
uniform int bgIsImage;
uniform float threshold;
uniform float opacity;
uniform vec3 tint;
uniform sampler2D classes;
uniform int perClass;
uniform vec3 palette[8];
uniform vec3 bgColor;
uniform vec2 texel;
vec3 blurred(vec2 p) {
  // Mip level 3 is already an 8×8 box average; a ring of taps on it hides the box edges.
  vec3 sum = textureLod(frame, p, 3.0).rgb * 2.0;
  for (int i = 0; i < 8; i++) {
    float a = float(i) * 0.785398;
    sum += textureLod(frame, p + vec2(cos(a), sin(a)) * texel * 14.0, 3.0).rgb;
  }
  return sum / 10.0;
}
void main() {
  float m = texture(mask, uv).r;
  float a = smoothstep(threshold - 0.15, threshold + 0.15, m);
  vec3 f = texture(frame, uv).rgb;
  if (effect == 0) {
    // Multi-class: the pixel's class picks the colour (nearest texel, so classes never blend).
    vec3 t = tint;
    if (perClass == 1) t = palette[int(texture(classes, uv).r * 255.0 + 0.5) % 8];
    color = vec4(t, a * opacity);
  } else if (effect == 1) {
    color = vec4(mix(blurred(uv), f, a), 1.0);
  } else {
    vec3 b = bgIsImage == 1 ? texture(bg, uv).rgb : bgColor;
    color = vec4(mix(b, f, a), 1.0);
  }
}`;

/** WebGL2 compositors alive in this thread (a page or a worker): Chrome allows ~16 contexts per page. */
let liveContexts = 0;
export function liveWebglCompositors(): number {
  return liveContexts;
}

export class MaskCompositor implements Compositor {
  readonly kind = 'webgl2';
  readonly blur = 'webgl';
  private gl: WebGL2RenderingContext;
  private program!: WebGLProgram;
  private tex!: { frame: WebGLTexture; mask: WebGLTexture; bg: WebGLTexture; classes: WebGLTexture };
  /** The context is lost (GPU reset, too many contexts): draws are skipped until it is restored. */
  lost = false;
  private disposed = false;
  private lastBackground: TexImageSource | null = null;
  private readonly onLost = (e: Event) => {
    e.preventDefault(); // asks the browser to restore it
    this.lost = true;
  };
  private readonly onRestored = () => {
    this.lost = false;
    this.setup();
    if (this.lastBackground) this.setBackground(this.lastBackground);
  };
  private loc: Record<string, WebGLUniformLocation | null> = {};
  private bgIsImage = false;
  private bgColor: [number, number, number] = [0, 0, 0];

  /**
   * Works on a page canvas or on an OffscreenCanvas in a worker (where `<cv-segment>` normally draws).
   * Throws when the canvas cannot give a WebGL2 context.
   */
  constructor(readonly canvas: HTMLCanvasElement | OffscreenCanvas) {
    const gl = canvas.getContext('webgl2', { premultipliedAlpha: false, preserveDrawingBuffer: true }) as WebGL2RenderingContext | null;
    if (!gl) throw new CvError('backend-unavailable', 'WebGL2 is not available');
    this.gl = gl;
    liveContexts++;
    canvas.addEventListener('webglcontextlost', this.onLost as EventListener);
    canvas.addEventListener('webglcontextrestored', this.onRestored as EventListener);
    this.setup();
  }

  /** Program, buffer and textures: made at start and again after a context is restored. */
  private setup() {
    const gl = this.gl;
    this.program = this.link(VERT, FRAG);
    gl.useProgram(this.program);
    for (const name of ['frame', 'mask', 'bg', 'classes', 'perClass', 'palette', 'effect', 'bgIsImage', 'threshold', 'opacity', 'tint', 'bgColor', 'texel']) {
      this.loc[name] = gl.getUniformLocation(this.program, name);
    }
    const buf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buf);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
    const at = gl.getAttribLocation(this.program, 'pos');
    gl.enableVertexAttribArray(at);
    gl.vertexAttribPointer(at, 2, gl.FLOAT, false, 0, 0);
    const make = (unit: number, mip: boolean) => {
      const t = gl.createTexture()!;
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, t);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, mip ? gl.LINEAR_MIPMAP_LINEAR : gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
      return t;
    };
    this.tex = { frame: make(0, true), mask: make(1, false), bg: make(2, false), classes: make(3, false) };
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST); // class indices: never interpolated
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.uniform1i(this.loc.frame!, 0);
    gl.uniform1i(this.loc.mask!, 1);
    gl.uniform1i(this.loc.bg!, 2);
    gl.uniform1i(this.loc.classes!, 3);
    gl.uniform3fv(this.loc.palette!, CLASS_COLORS.flat());
  }

  private link(vs: string, fs: string): WebGLProgram {
    const gl = this.gl;
    const shader = (type: number, src: string) => {
      const s = gl.createShader(type)!;
      gl.shaderSource(s, src);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new CvError('backend-unavailable', `Shader: ${gl.getShaderInfoLog(s)}`);
      return s;
    };
    const p = gl.createProgram()!;
    gl.attachShader(p, shader(gl.VERTEX_SHADER, vs));
    gl.attachShader(p, shader(gl.FRAGMENT_SHADER, fs));
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new CvError('backend-unavailable', `Program: ${gl.getProgramInfoLog(p)}`);
    return p;
  }

  /** Background for `replace`: an image, or a CSS colour already parsed to 0..1 RGB. */
  setBackground(bg: TexImageSource | [number, number, number]): void {
    const gl = this.gl;
    if (this.lost) {
      if (!Array.isArray(bg)) this.lastBackground = bg;
      return;
    }
    if (Array.isArray(bg)) {
      this.bgIsImage = false;
      this.bgColor = bg;
      return;
    }
    gl.activeTexture(gl.TEXTURE2);
    gl.bindTexture(gl.TEXTURE_2D, this.tex.bg);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, bg);
    this.bgIsImage = true;
    if (typeof ImageBitmap !== 'undefined' && bg instanceof ImageBitmap) bg.close(); // uploaded: ours to free
  }

  /** Uploads a new mask (bytes 0..255, width×height). */
  setMask(mask: Uint8Array, width: number, height: number, classes?: Uint8Array): void {
    const gl = this.gl;
    if (this.lost || gl.isContextLost()) return;
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, this.tex.mask);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, width, height, 0, gl.RED, gl.UNSIGNED_BYTE, mask);
    this.perClass = !!classes;
    if (classes) {
      gl.activeTexture(gl.TEXTURE3);
      gl.bindTexture(gl.TEXTURE_2D, this.tex.classes);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, width, height, 0, gl.RED, gl.UNSIGNED_BYTE, classes);
    }
    this.maskSize = { width, height };
  }

  private perClass = false;

  private maskSize = { width: 1, height: 1 };

  /** Draws the frame through the effect; `mask` draws only the tint, at mask resolution (CSS scales it). */
  draw(frame: TexImageSource, width: number, height: number, effect: Exclude<SegmentEffect, 'none'>, threshold: number, opacity: number): void {
    const gl = this.gl;
    if (this.lost || gl.isContextLost()) return;
    if (effect === 'mask') ({ width, height } = this.maskSize);
    if (this.canvas.width !== width || this.canvas.height !== height) Object.assign(this.canvas, { width, height });
    gl.viewport(0, 0, width, height);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.tex.frame);
    if (effect !== 'mask') gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, frame);
    // A mipmapped filter without mips makes the texture incomplete (it samples black): build mips only
    // for blur, which reads them, and sample level 0 plainly otherwise.
    if (effect === 'blur') gl.generateMipmap(gl.TEXTURE_2D);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, effect === 'blur' ? gl.LINEAR_MIPMAP_LINEAR : gl.LINEAR);
    gl.uniform1i(this.loc.effect!, effect === 'mask' ? 0 : effect === 'blur' ? 1 : 2);
    gl.uniform1i(this.loc.bgIsImage!, this.bgIsImage ? 1 : 0);
    gl.uniform1f(this.loc.threshold!, threshold);
    gl.uniform1f(this.loc.opacity!, opacity);
    gl.uniform3f(this.loc.tint!, ...CLASS_COLORS[0]!);
    gl.uniform1i(this.loc.perClass!, this.perClass && effect === 'mask' ? 1 : 0);
    gl.uniform3f(this.loc.bgColor!, ...this.bgColor);
    gl.uniform2f(this.loc.texel!, 1 / width, 1 / height);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  /** What was drawn last, as a bitmap (the drawing buffer is preserved for this). */
  snapshot(): Promise<ImageBitmap> {
    return createImageBitmap(this.canvas);
  }

  /** Frees the GPU objects and the context itself: a context left to the garbage collector counts against the limit. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    liveContexts--;
    const gl = this.gl;
    this.canvas.removeEventListener('webglcontextlost', this.onLost as EventListener);
    this.canvas.removeEventListener('webglcontextrestored', this.onRestored as EventListener);
    if (!gl.isContextLost()) {
      Object.values(this.tex).forEach((t) => gl.deleteTexture(t));
      gl.deleteProgram(this.program);
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    }
    if (this.lastBackground instanceof ImageBitmap) this.lastBackground.close();
    this.lastBackground = null;
  }
}
