/**
 * The page side's guard against a worker that hangs or dies: a deadline for every request, sized by
 * what the request does, and the bookkeeping of restarts. `InferenceClient` owns one `Watchdog`.
 *
 * Bounds are generous on purpose: a false alarm costs a worker restart and a model reload, a missed
 * hang costs every element on the page. Loads and learning are bounded by time without progress
 * (bytes arriving, a training chunk done), runs by a multiple of that model's recent median with a floor.
 */
import type { EngineName } from '../runtime/types.js';

export interface WatchdogLimits {
  /** The least a run may take before it counts as hung (the first runs compile shaders, warm caches). */
  runFloorMs: number;
  /** A run may take this many times its model's recent median (times the runs queued before it). */
  runFactor: number;
  /** A load may go this long without a progress report (bytes, or the session being created). */
  loadStallMs: number;
  /** A learn operation may go this long without a progress report (a training chunk). */
  learnStallMs: number;
  /** Anything else (attach a compositor, snapshot). */
  otherMs: number;
  /** A worker with no models left is terminated after this grace (a remove-and-append keeps it). */
  idleMs: number;
}

const DEFAULTS: WatchdogLimits = { runFloorMs: 15_000, runFactor: 20, loadStallMs: 120_000, learnStallMs: 60_000, otherMs: 30_000, idleMs: 3_000 };

import type { WorkerMask } from './worker-test-hooks.js';

/**
 * The test switch: a page that sets `globalThis.__CV_ELEMENTS_TEST__` before the first element loads
 * gets fault-injection hooks in its workers and may shorten the limits. Not part of the public API.
 */
export interface TestConfig {
  limits?: Partial<WatchdogLimits>;
  /** The worker's navigator.gpu.requestAdapter answers null (WebGPU failing to start). */
  noGpuAdapter?: boolean;
  /** Treat a software WebGPU adapter (SwiftShader) as a real GPU, so `auto` picks WebGPU in tests. */
  softwareGpuIsReal?: boolean;
  /** Browser APIs the worker hides from itself at start, to test each fallback (see worker-test-hooks.ts). */
  workerMasks?: WorkerMask[];
}

export function testConfig(): TestConfig | null {
  const c = (globalThis as { __CV_ELEMENTS_TEST__?: unknown }).__CV_ELEMENTS_TEST__;
  return c && typeof c === 'object' ? (c as TestConfig) : null;
}

export function watchdogLimits(): WatchdogLimits {
  return { ...DEFAULTS, ...(testConfig()?.limits ?? {}) };
}

/** A timer that fires `onExpire` unless touched (progress) or cleared (answered) in time. */
export class Deadline {
  private timer: ReturnType<typeof setTimeout>;
  constructor(
    private readonly ms: number,
    private readonly onExpire: (ms: number) => void,
  ) {
    this.timer = setTimeout(() => this.onExpire(this.ms), ms);
  }
  /** Progress: the wait starts again. */
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onExpire(this.ms), this.ms);
  }
  clear(): void {
    clearTimeout(this.timer);
  }
}

/** The median of each key's last `size` durations. */
export class RecentDurations {
  private byKey = new Map<string, number[]>();
  constructor(private readonly size = 15) {}
  record(key: string, ms: number): void {
    const list = this.byKey.get(key) ?? [];
    list.push(ms);
    if (list.length > this.size) list.shift();
    this.byKey.set(key, list);
  }
  median(key: string): number | null {
    const list = this.byKey.get(key);
    if (!list?.length) return null;
    const sorted = [...list].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  }
}

/**
 * How long a run of `key` may take, with `queued` runs ahead of it in the worker. A model's first runs
 * (no median yet) get four floors: they compile WebGPU shaders and warm caches, seconds on slow devices.
 */
export function runBudget(limits: WatchdogLimits, median: number | null, queued: number): number {
  if (median === null) return limits.runFloorMs * 4 * (queued + 1);
  return Math.max(limits.runFloorMs, median * limits.runFactor * (queued + 1));
}

/**
 * Restarts in a row per engine, reset by a successful run: the wait before elements reload after a
 * death doubles each time (0.5 s, 1 s, 2 s … 30 s), so a worker that dies at once never spins.
 */
const restarts = new Map<EngineName, number>();

export function noteWorkerDeath(engine: EngineName): number {
  const n = (restarts.get(engine) ?? 0) + 1;
  restarts.set(engine, n);
  return Math.min(30_000, 500 * 2 ** (n - 1));
}

export function noteWorkerHealthy(engine: EngineName): void {
  restarts.delete(engine);
}

/** Why a worker was given up: elements react differently to a lost GPU device. */
export type WorkerDeath = 'crashed' | 'hung' | 'device-lost';
