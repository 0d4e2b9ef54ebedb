// Object detections as rows [x1, y1, x2, y2, score, class] (CenterNet's decoded output, input pixels):
// parsing, class-aware NMS, and the comparison the int8/fp16 bars use (matched detections, box IoU, top label).

/** The row format a catalog output names when it holds decoded detections. */
export const OBJECT_ROWS = 'x1,y1,x2,y2,score,class';

/** Rows with score ≥ threshold, best first. */
export function detectionRows(data, threshold = 0) {
  const rows = [];
  for (let i = 0; i + 6 <= data.length; i += 6) {
    const score = data[i + 4], cls = data[i + 5];
    // A non-finite score or class is a broken row, never a detection.
    if (!(score >= threshold) || !Number.isFinite(cls)) continue;
    rows.push({ box: [data[i], data[i + 1], data[i + 2], data[i + 3]], score, cls: Math.round(cls) });
  }
  return rows.sort((a, b) => b.score - a.score);
}

export function iou(a, b) {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (!(iw > 0 && ih > 0)) return 0;
  const inter = iw * ih;
  const area = (r) => Math.max(0, r[2] - r[0]) * Math.max(0, r[3] - r[1]);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy class-aware non-maximum suppression over rows sorted best first. */
export function nms(rows, iouThreshold = 0.5) {
  const kept = [];
  for (const r of rows) if (!kept.some((k) => k.cls === r.cls && iou(k.box, r.box) > iouThreshold)) kept.push(r);
  return kept;
}

/**
 * Matches a candidate's detections to the reference's at the same score threshold: each reference row
 * takes the unmatched candidate row of its class with the highest IoU (≥ minIou). Returns counts and IoUs.
 */
export function matchDetections(ref, cand, { minIou = 0.5 } = {}) {
  const used = new Set();
  const ious = [];
  for (const r of ref) {
    let best = -1, bestIou = minIou;
    cand.forEach((c, j) => {
      if (used.has(j) || c.cls !== r.cls) return;
      const v = iou(r.box, c.box);
      if (v >= bestIou) { best = j; bestIou = v; }
    });
    if (best >= 0) { used.add(best); ious.push(bestIou); }
  }
  return { matched: ious.length, ref: ref.length, cand: cand.length, ious };
}

/**
 * The bar's figures over many images: detectionAgreement = matched / (ref + cand − matched), mean and worst
 * box IoU of matched pairs, and the share of images whose top label is the same.
 */
export function compareDetections(pairs, { threshold = 0.3 } = {}) {
  let matched = 0, union = 0, iouSum = 0, worst = 1, topSame = 0, images = 0;
  for (const { ref, cand } of pairs) {
    const R = nms(detectionRows(ref, threshold)), C = nms(detectionRows(cand, threshold));
    const m = matchDetections(R, C);
    matched += m.matched; union += m.ref + m.cand - m.matched;
    for (const v of m.ious) { iouSum += v; worst = Math.min(worst, v); }
    images++;
    if ((R[0]?.cls ?? -1) === (C[0]?.cls ?? -1)) topSame++;
  }
  return {
    threshold, detectionAgreement: union ? matched / union : 1, boxIoU: matched ? iouSum / matched : 1,
    worstBoxIoU: worst, topLabelAgreement: images ? topSame / images : 1, matched, unmatched: union - matched,
  };
}
