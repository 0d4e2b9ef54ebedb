/**
 * What a task is to the worker: one descriptor per task folder, listed once in registry.ts. The worker
 * dispatches a frame by `request.task` to its descriptor and knows nothing else about it.
 *
 * The descriptor is the worker half of a task. The page half (default model, which roles MediaPipe runs
 * under which attributes, how a result is painted and announced) lives in the task's element folder, so the
 * page bundle never carries a pipeline and the worker bundle never carries lit.
 */
import type { MediapipeTaskOf } from '../runtime/mediapipe-runtime.js';
import type { MediapipeKind } from '../runtime/types.js';
import type { Compositor } from '../overlay/types.js';
import type { SoftmaxHead } from './learn/head.js';
import type { FrameImage, ModelInfo, PipelineContext } from './shared/pipeline.js';

/** The worker's services a task runs with, on top of the pure pipeline context. */
export interface TaskContext extends PipelineContext {
  /** A loaded model's info by its worker key (`not-ready` when it is not loaded). */
  model(key: string): ModelInfo;
  /** The MediaPipe engine object `key` was loaded as, or null when that model runs on onnxruntime. */
  mediapipe<K extends MediapipeKind>(key: string, kind: K): Promise<MediapipeTaskOf<K>> | null;
  /** Runs synchronous engine work and counts its time as the run's (MediaPipe calls are synchronous). */
  timeRun<T>(work: () => T): T;
  /** The learned head of an element (learn mode), if it has one. */
  head(id: string): SoftmaxHead | undefined;
  /** The worker-side compositor an element attached, by target id. */
  compositor(target: string): Compositor | undefined;
}

/** A task's descriptor. `Req` is its per-frame request (tagged by `task`), `Res` what comes back to the page. */
export interface TaskDefinition<Req extends { task: string }, Res> {
  readonly name: Req['task'];
  /** One frame through the task's pre-processing, model(s) and post-processing. Never touches the DOM. */
  run(ctx: TaskContext, frame: FrameImage, req: Req): Promise<Res>;
  /** Drawing with the frame still open (timed as the frame's compositeMs), e.g. `<cv-segment>`'s effect. */
  composite?(ctx: TaskContext, frame: FrameImage, req: Req, result: Res): void;
  /** Work on the result before it is posted (counted as pipeline time), e.g. decoding images to bitmaps. */
  finish?(result: Res): Promise<void>;
  /** The buffers and bitmaps of a result that move to the page instead of being copied. */
  transferables(result: Res): Transferable[];
}

/** Spells a descriptor with its types checked and inferred. */
export const defineTask = <Req extends { task: string }, Res>(def: TaskDefinition<Req, Res>): TaskDefinition<Req, Res> => def;

export type RequestOf<D> = D extends { run(ctx: TaskContext, frame: FrameImage, req: infer Req): unknown } ? Req : never;
export type ResultOf<D> = D extends { run(ctx: TaskContext, frame: FrameImage, req: never): Promise<infer Res> } ? Res : never;
