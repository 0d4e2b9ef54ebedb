/**
 * The one list of tasks, by the name a request carries. Adding a task is a folder in tasks/, a folder in
 * elements/ and one line here (docs/adding-a-task.md).
 */
import { classifyTask } from './classify/index.js';
import { detectObjectsTask } from './detect-objects/index.js';
import { generateTask } from './generate/index.js';
import { learnTask } from './learn/index.js';
import { segmentTask } from './segment/index.js';
import type { RequestOf, ResultOf } from './task.js';

export const TASKS = {
  classify: classifyTask,
  segment: segmentTask,
  generate: generateTask,
  learn: learnTask,
  'detect-objects': detectObjectsTask,
} as const;

export type TaskName = keyof typeof TASKS;
type Descriptor = (typeof TASKS)[TaskName];
/** Any task's per-frame request, tagged by `task`. */
export type TaskRequest = Descriptor extends infer D ? (D extends unknown ? RequestOf<D> : never) : never;
/** Any task's result. */
export type TaskResult = Descriptor extends infer D ? (D extends unknown ? ResultOf<D> : never) : never;
