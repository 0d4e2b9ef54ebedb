/// <reference lib="webworker" />
/**
 * The worker side of `<cv-classify learn>`: one learned head per element, its examples' embeddings,
 * the training loop and IndexedDB persistence. Training runs in short chunks that yield to the
 * message loop, so live predictions keep coming while it trains.
 */
import { CentroidHead, SoftmaxHead, type HeadFile, type TrainSummary } from '../tasks/learn/head.js';
import { augmentations, embed, enrolFace, faceAugmentations, type Augmentation } from '../tasks/learn/pipeline.js';
import { findFaces } from '../tasks/classify/faces.js';
import type { TaskContext } from '../tasks/task.js';
import { mulberry32 } from '../tasks/shared/random.js';
import type { FrameImage, ModelInfo } from '../tasks/shared/pipeline.js';
import type { LearnOp, LearnStatus } from './protocol.js';
import { CvError, type CvErrorCode } from '../errors.js';

/** Epochs of one full training run, and per chunk between yields. */
export const TRAIN_EPOCHS = 150;
const CHUNK = 15;
/** Views embedded per captured frame (the plain one plus augmented ones). */
export const VIEWS_PER_EXAMPLE = 6;

const DB_NAME = 'cv-elements';
const STORE = 'heads';

interface HeadState {
  head: SoftmaxHead | null;
  backbone: { key: string; name: string; sha256: string | null };
  storeKey: string | null;
  /** Face recognition: the face detector's key (the head is then a CentroidHead). */
  detector: string | undefined;
  /** The running training, if any. */
  training: Promise<TrainSummary> | null;
  /** Revision the last finished training saw. */
  trainedRevision: number;
  rand: () => number;
}

const heads = new Map<string, HeadState>();

/** The head an element's predictions use, if it has one. */
export function headFor(id: string): SoftmaxHead | undefined {
  return heads.get(id)?.head ?? undefined;
}

function fault(code: CvErrorCode, message: string): CvError {
  return new CvError(code, message);
}

/** Captured frames from embedded views (each frame gives VIEWS_PER_EXAMPLE). */
const frames = (views: number) => Math.ceil(views / VIEWS_PER_EXAMPLE);

function status(state: HeadState, extra: Partial<LearnStatus> = {}): LearnStatus {
  const h = state.head;
  return {
    counts: h ? Object.fromEntries(Object.entries(h.counts()).map(([k, n]) => [k, frames(n)])) : {},
    examples: h ? frames(h.total) : 0,
    trained: h && h.ready ? { ...h.summary } : null,
    ...extra,
  };
}

// ---- IndexedDB -------------------------------------------------------------------------------

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function idb<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result as T);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

async function save(state: HeadState): Promise<void> {
  if (!state.storeKey || !state.head) return;
  const file = state.head.toFile({ name: state.backbone.name, sha256: state.backbone.sha256 });
  await idb('readwrite', (s) => s.put(file, state.storeKey!));
}

// ---- training --------------------------------------------------------------------------------

/**
 * Trains on the current examples unless a run for them is going or done; reports progress through
 * `notify` after every chunk and saves when done. Examples added meanwhile start another run after it.
 */
function train(id: string, state: HeadState, notify: (id: string, s: LearnStatus) => void): Promise<TrainSummary> {
  const head = state.head;
  if (!head) return Promise.reject(fault('no-examples', 'Nothing to train: add examples first'));
  if (state.training) return state.training.then(() => (state.trainedRevision === head.revision ? head.summary : train(id, state, notify)));
  if (!head.total) return Promise.reject(fault('no-examples', 'Nothing to train: every class is empty'));
  if (state.trainedRevision === head.revision && head.ready) return Promise.resolve(head.summary);
  const revision = head.revision;
  const run = (async () => {
    head.begin();
    let summary = head.summary;
    for (let done = 0; done < TRAIN_EPOCHS; done += CHUNK) {
      summary = head.trainEpochs(Math.min(CHUNK, TRAIN_EPOCHS - done));
      if (heads.get(id) !== state) return summary; // closed meanwhile
      notify(id, status(state, { training: done + CHUNK < TRAIN_EPOCHS }));
      await new Promise((r) => setTimeout(r, 0));
    }
    state.trainedRevision = revision;
    await save(state).catch(() => {});
    return summary;
  })();
  state.training = run;
  void run.finally(() => state.training === run && (state.training = null)).catch(() => {});
  return run.then((s) => (state.trainedRevision === head.revision ? s : train(id, state, notify)));
}

// ---- operations ------------------------------------------------------------------------------

/**
 * Runs one learn operation. `runExclusive` queues work that uses a session behind other inference;
 * `notify` posts progress to the page.
 */
export async function learn(
  op: LearnOp,
  deps: {
    context: TaskContext;
    modelInfo: (key: string) => ModelInfo;
    runExclusive: <T>(job: () => Promise<T>) => Promise<T>;
    notify: (id: string, s: LearnStatus) => void;
  },
): Promise<LearnStatus | HeadFile> {
  const { notify } = deps;
  if (op.op === 'open') {
    const prev = heads.get(op.head);
    const state: HeadState = prev ?? { head: null, backbone: op.backbone, storeKey: op.storeKey, detector: op.detector, training: null, trainedRevision: -1, rand: mulberry32(0x5eed) };
    if (prev && prev.backbone.sha256 !== op.backbone.sha256) prev.head = null; // another backbone: old embeddings are meaningless
    state.backbone = op.backbone;
    state.storeKey = op.storeKey;
    state.detector = op.detector;
    heads.set(op.head, state);
    // A closing element with the same key may still be training: let it finish and save first.
    for (const [id, other] of heads) if (id !== op.head && other.storeKey === op.storeKey && op.storeKey) await other.training?.catch(() => {});
    if (!state.head && state.storeKey) {
      const file = await idb<HeadFile | undefined>('readonly', (s) => s.get(state.storeKey!)).catch(() => undefined);
      if (file && file.backbone?.sha256 === op.backbone.sha256 && (file.kind === 'centroid') === !!op.detector) {
        try {
          state.head = SoftmaxHead.fromFile(file);
          state.trainedRevision = state.head.revision;
        } catch (e) {
          // A stored head that no longer reads (saved by an older version, edited, corrupted) must not
          // brick this head-name: drop it, say so once, and start empty.
          await idb('readwrite', (s) => s.delete(state.storeKey!)).catch(() => {});
          return status(state, { restored: false, discarded: (e as Error).message });
        }
      }
    }
    return status(state, { restored: !!state.head });
  }
  const state = heads.get(op.head);
  if (!state) throw fault('not-ready', 'The learned head is not open yet: wait for cv-ready');
  switch (op.op) {
    case 'add': {
      const frame = op.frame;
      const image: FrameImage = { image: frame, width: frame.width, height: frame.height };
      try {
        const model = deps.modelInfo(state.backbone.key);
        const detector = state.detector;
        const vectors = await deps.runExclusive(async () => {
          let views: Augmentation[];
          if (detector) {
            const face = enrolFace(await findFaces(deps.context, deps.modelInfo(detector), image));
            if (!face) throw fault('no-face', `No face found in the captured frame to enrol as "${op.label}"`);
            views = faceAugmentations(face.box, image, VIEWS_PER_EXAMPLE, state.rand);
          } else views = augmentations(image, model, VIEWS_PER_EXAMPLE, state.rand);
          const out: Float32Array[] = [];
          for (const v of views) out.push(await embed(deps.context, model, image, v));
          return out;
        });
        const Head = detector ? CentroidHead : SoftmaxHead;
        if (!state.head || vectors[0]!.length !== state.head.dim || state.head.constructor !== Head) state.head = new Head(vectors[0]!.length);
        let count = 0;
        for (const v of vectors) count = state.head.add(op.label, v);
        void train(op.head, state, notify).catch(() => {});
        return status(state, { label: op.label, count: frames(count) });
      } finally {
        frame.close();
      }
    }
    case 'clear': {
      state.head?.clear(op.label);
      if (state.head && state.head.total) void train(op.head, state, notify).catch(() => {});
      else if (state.head) {
        // No examples left: forget the weights too, and the saved copy.
        state.head = null;
        state.trainedRevision = -1;
        if (state.storeKey) await idb('readwrite', (s) => s.delete(state.storeKey!)).catch(() => {});
      }
      return status(state);
    }
    case 'forget': {
      await state.training?.catch(() => {});
      state.head = null;
      state.trainedRevision = -1;
      if (state.storeKey) await idb('readwrite', (s) => s.delete(state.storeKey!));
      return status(state);
    }
    case 'train': {
      const trained = await train(op.head, state, notify);
      return status(state, { trained });
    }
    case 'save': {
      if (!state.head) throw fault('no-examples', 'Nothing to save: the head has no examples');
      if (!state.storeKey) throw fault('no-head-name', 'Give the element an id or a head-name attribute to save its head');
      await state.training;
      await save(state);
      return status(state);
    }
    case 'export': {
      if (!state.head || !state.head.ready) throw fault('no-examples', 'Nothing to export: the head has not learned any class yet');
      await state.training;
      return state.head.toFile({ name: state.backbone.name, sha256: state.backbone.sha256 });
    }
    case 'import': {
      const file = op.file;
      if (file?.backbone?.sha256 !== state.backbone.sha256) {
        throw fault(
          'head-mismatch',
          `This head was trained on backbone "${file?.backbone?.name}" (sha256 ${String(file?.backbone?.sha256).slice(0, 12)}…); the element runs "${state.backbone.name}" (${String(state.backbone.sha256).slice(0, 12)}…)`,
        );
      }
      let head: SoftmaxHead;
      try {
        head = SoftmaxHead.fromFile(file);
      } catch (e) {
        throw fault('head-invalid', (e as Error).message);
      }
      if (!!state.detector !== head instanceof CentroidHead) {
        throw fault('head-mismatch', state.detector ? 'This head classifies frames; face recognition (roi="face") needs a head of enrolled faces' : 'This head recognises faces: use it with roi="face"');
      }
      await state.training?.catch(() => {});
      state.head = head;
      state.trainedRevision = head.revision;
      await save(state).catch(() => {});
      return status(state);
    }
    case 'close': {
      await state.training?.catch(() => {});
      heads.delete(op.head);
      return status(state);
    }
  }
}
