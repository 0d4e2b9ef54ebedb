/** A label as the overlay draws it: any task's labelled, optionally boxed result (structural, so overlay imports no task). */
export interface Label {
  label: string;
  score: number;
  box?: { x: number; y: number; width: number; height: number };
}

/**
 * Draws labels (and their boxes) on a 2D canvas the size of the frame. With `mirrored`, boxes are
 * flipped to match the mirrored video while the text stays readable.
 */
export function drawLabels(
  canvas: HTMLCanvasElement,
  labels: Label[],
  mirrored: boolean,
  format: (label: string, percent: number) => string = (label, percent) => `${label} ${percent}%`,
): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const font = Math.max(12, Math.round(height / 24));
  ctx.font = `600 ${font}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  const boxed = new Map<string, Label[]>();
  const free: Label[] = [];
  for (const l of labels) {
    if (!l.box) free.push(l);
    else {
      const k = `${l.box.x},${l.box.y},${l.box.width},${l.box.height}`;
      boxed.set(k, [...(boxed.get(k) ?? []), l]);
    }
  }
  const tag = (text: string, x: number, y: number) => {
    const w = ctx.measureText(text).width + font * 0.6;
    ctx.fillStyle = 'rgba(0, 0, 0, 0.6)';
    ctx.fillRect(x, y, w, font * 1.4);
    ctx.fillStyle = '#fff';
    ctx.fillText(text, x + font * 0.3, y + font * 0.2);
  };
  const fmt = (l: Label) => format(l.label, Math.round(l.score * 100));
  for (const group of boxed.values()) {
    const b = group[0]!.box!;
    const x = mirrored ? width - b.x - b.width : b.x;
    ctx.strokeStyle = '#35e08f';
    ctx.lineWidth = Math.max(2, width / 320);
    ctx.strokeRect(x, b.y, b.width, b.height);
    // Stack the tags above the box; where there is no room (a face at the top), below it, else inside.
    const stack = font * 1.5 * group.length;
    const top = b.y >= stack ? b.y - stack : b.y + b.height + stack <= height ? b.y + b.height + 2 : b.y + 2;
    group.forEach((l, i) => tag(fmt(l), x, top + i * font * 1.5));
  }
  free.forEach((l, i) => tag(fmt(l), font * 0.5, font * 0.5 + i * font * 1.6));
}
