// The pure pieces of the worker-side reliability work: NMS that always ends, non-finite outputs
// reported, head files checked before use, the error type and its mappings, and the retry spacing.
import { expect } from '@esm-bundle/chai';
import { CvError, ERROR_CODES, toCvError } from '../../src/errors.js';
import { weightedNms, decodeBlazeFace, ssdAnchors, BLAZEFACE_SHORT_RANGE, type FaceDetection } from '../../src/tasks/detect/blazeface.js';
import { iou } from '../../src/tasks/shared/geometry.js';
import { checkFinite, outputOf, type ModelInfo } from '../../src/tasks/shared/pipeline.js';
import { SoftmaxHead, type HeadFile } from '../../src/tasks/learn/head.js';
import { catalogEntry, pickPrecision, type Catalog, type CatalogEntry, type Precision } from '../../src/models/catalog.js';
import { FaultBackoff } from '../../src/controllers/fault-backoff.js';
import { RecentDurations, runBudget, watchdogLimits } from '../../src/page/watchdog.js';

const det = (x: number, y: number, width: number, height: number, score: number): FaceDetection => ({
  box: { x, y, width, height },
  score,
  keypoints: [{ x: x + width / 2, y: y + height / 2 }],
});

/** Runs `work` and fails the test if it takes longer than `ms` (a hang shows as a failure, not a stuck run). */
function within<T>(ms: number, work: () => T): T {
  const t0 = performance.now();
  const out = work();
  expect(performance.now() - t0, 'took too long').to.be.lessThan(ms);
  return out;
}

describe('weightedNms terminates on degenerate boxes', () => {
  it('zero-area boxes: each pass removes at least the best box', () => {
    const dets = Array.from({ length: 50 }, (_, i) => det(0.5, 0.5, 0, 0, 0.9 - i * 0.001));
    const kept = within(200, () => weightedNms(dets, 0.3));
    // iou with an empty box is 0, so nothing merges: one kept per box, and the loop ended.
    expect(kept).to.have.length(50);
    expect(kept[0]!.score).to.equal(0.9);
  });
  it('negative-area boxes end too', () => {
    const kept = within(200, () => weightedNms([det(0.5, 0.5, -0.1, 0.2, 0.8), det(0.1, 0.1, 0.2, -0.3, 0.7), det(0.2, 0.2, 0.1, 0.1, 0.6)], 0.3));
    expect(kept).to.have.length(3);
  });
  it('all-zero scores give finite boxes, not NaN', () => {
    const kept = weightedNms([det(0.1, 0.1, 0.2, 0.2, 0), det(0.11, 0.1, 0.2, 0.2, 0)], 0.3);
    expect(kept).to.have.length(1);
    expect(Number.isFinite(kept[0]!.box.x)).to.equal(true);
  });
  it('a NaN or infinite box is a model-output fault, not a loop', () => {
    for (const bad of [det(NaN, 0, 0.1, 0.1, 0.9), det(0, 0, Infinity, 0.1, 0.9), det(0, 0, 0.1, 0.1, NaN)]) {
      const err = within(200, () => {
        try {
          weightedNms([det(0, 0, 0.1, 0.1, 0.5), bad], 0.3);
        } catch (e) {
          return e as CvError;
        }
        return null;
      });
      expect(err).to.be.instanceOf(CvError);
      expect(err!.code).to.equal('model-output');
    }
  });
  it('decodeBlazeFace on NaN regressors reports model-output', () => {
    const anchors = ssdAnchors(BLAZEFACE_SHORT_RANGE);
    const n = anchors.length / 2;
    const reg = new Float32Array(n * 16).fill(NaN);
    const logits = new Float32Array(n).fill(5);
    expect(() => decodeBlazeFace(reg, logits, anchors, 128)).to.throw(CvError, /non-finite/);
  });
  it('iou is 0, never NaN, for empty, negative and non-finite boxes', () => {
    const a = { x: 0, y: 0, width: 1, height: 1 };
    expect(iou(a, { x: NaN, y: 0, width: 1, height: 1 })).to.equal(0);
    expect(iou({ x: 0, y: 0, width: -1, height: -1 }, { x: 0, y: 0, width: -1, height: -1 })).to.equal(0);
    expect(iou(a, { x: 0, y: 0, width: Infinity, height: 1 })).to.equal(0);
  });
});

describe('model outputs are checked finite', () => {
  const model = { key: 'm', outputNames: ['y'] } as unknown as ModelInfo;
  it('outputOf throws model-output on NaN and Infinity, passes finite values', () => {
    expect(outputOf(model, { y: { data: Float32Array.of(0, 1), dims: [2] } }).data[1]).to.equal(1);
    for (const v of [NaN, Infinity, -Infinity]) {
      expect(() => outputOf(model, { y: { data: Float32Array.of(0, v), dims: [2] } })).to.throw(CvError, /non-finite/);
    }
    expect(() => checkFinite(model, 'y', { data: Float32Array.of(NaN), dims: [1] })).to.throw(CvError);
  });
});

describe('head files are validated before use', () => {
  function goodFile(): HeadFile {
    const head = new SoftmaxHead(2);
    head.add('a', Float32Array.of(1, 0));
    head.add('b', Float32Array.of(0, 1));
    head.begin();
    head.trainEpochs(5);
    return head.toFile({ name: 'x', sha256: null });
  }
  const invalid = (file: unknown) => {
    try {
      SoftmaxHead.fromFile(file as HeadFile);
    } catch (e) {
      return (e as CvError).code;
    }
    return 'accepted';
  };
  it('accepts a real file', () => {
    expect(invalid(goodFile())).to.equal('accepted');
  });
  it('refuses a missing trained summary, loss: null, NaN weights and a bad label list', () => {
    const f = goodFile();
    const { trained: _t, ...noTrained } = f;
    expect(invalid(noTrained)).to.equal('head-invalid');
    expect(invalid(JSON.parse(JSON.stringify({ ...f, trained: { ...f.trained, loss: NaN } })))).to.equal('head-invalid');
    expect(invalid({ ...f, weights: f.weights.map(() => null) })).to.equal('head-invalid');
    expect(invalid({ ...f, labels: [1, 2] })).to.equal('head-invalid');
    expect(invalid({ ...f, examples: { a: [[1]] } })).to.equal('head-invalid');
    expect(invalid(null)).to.equal('head-invalid');
  });
});

describe('errors as a type', () => {
  it('maps DOMExceptions by name, never by their numeric code', () => {
    const tainted = toCvError(new DOMException('tainted canvas', 'SecurityError'));
    expect(tainted.code).to.equal('source-tainted');
    const quota = toCvError(new DOMException('full', 'QuotaExceededError'));
    expect(quota.code).to.equal('storage');
    expect(typeof quota.code).to.equal('string');
    expect(ERROR_CODES).to.include(toCvError(new DOMException('x', 'DataCloneError'), 'worker').code);
  });
  it('keeps a listed code, replaces an unlisted or numeric one with the fallback', () => {
    expect(toCvError({ code: 'integrity', message: 'm' }).code).to.equal('integrity');
    expect(toCvError({ code: 'model-released', message: 'm' }, 'not-ready').code).to.equal('not-ready');
    expect(toCvError({ code: 22, message: 'm' }, 'storage').code).to.equal('storage');
    expect(toCvError('plain string').code).to.equal('inference');
  });
  it('catalog lookups use own keys only: "constructor" is no model', () => {
    const catalog = { version: 1, models: { a: { variants: {} } as unknown as CatalogEntry } } as Catalog;
    expect(catalogEntry(catalog, 'constructor')).to.equal(undefined);
    expect(catalogEntry(catalog, '__proto__')).to.equal(undefined);
    expect(catalogEntry(catalog, 'a')).to.not.equal(undefined);
  });
  it('an unknown precision is a bad attribute, a missing variant is not found', () => {
    const entry = { variants: { fp32: { file: 'a', sha256: 'x', bytes: 1 } } } as unknown as CatalogEntry;
    const code = (p: string) => {
      try {
        pickPrecision(entry, 'wasm', p as Precision);
      } catch (e) {
        return (e as CvError).code;
      }
      return 'ok';
    };
    expect(code('int4')).to.equal('bad-attribute');
    expect(code('constructor')).to.equal('bad-attribute');
    expect(code('int8')).to.equal('model-not-found');
    expect(code('fp32')).to.equal('ok');
  });
});

describe('retry spacing and run budgets', () => {
  it('FaultBackoff doubles up to its cap and resets on success', () => {
    const b = new FaultBackoff(100, 1000);
    expect([b.fault(), b.fault(), b.fault(), b.fault(), b.fault()]).to.deep.equal([100, 200, 400, 800, 1000]);
    expect(b.waiting).to.equal(true);
    b.succeed();
    expect(b.waiting).to.equal(false);
    expect(b.fault()).to.equal(100);
  });
  it('a run may take a multiple of its model median, never less than the floor', () => {
    const d = new RecentDurations(5);
    for (const ms of [10, 12, 11, 500, 9]) d.record('k', ms);
    expect(d.median('k')).to.equal(11);
    const limits = { ...watchdogLimits(), runFloorMs: 1000, runFactor: 20 };
    expect(runBudget(limits, d.median('k'), 0)).to.equal(1000);
    expect(runBudget(limits, 200, 0)).to.equal(4000);
    expect(runBudget(limits, 200, 2)).to.equal(12000);
    // No median yet (first runs compile shaders): four floors per run queued.
    expect(runBudget(limits, null, 0)).to.equal(4000);
    expect(runBudget(limits, null, 1)).to.equal(8000);
  });
});
