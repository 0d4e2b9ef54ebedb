import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { CvError } from '../errors.js';
import type { InferenceClient } from '../page/worker-client.js';
import type { LearnOp, LearnStatus } from '../worker/protocol.js';
import type { HeadFile } from '../tasks/learn/head.js';

let headSerial = 0;

/** What a learn operation takes, without the head id the controller adds. */
type HeadOp = LearnOp extends infer O ? (O extends { head: string } ? Omit<O, 'head'> : never) : never;

/**
 * An element's learned head in the worker (`<cv-classify learn>`): opens one per model load under a fresh
 * id (so a closing head never races an opening one), forwards its training progress, runs operations on it,
 * and closes it when the models change or the element goes.
 */
export class LearnController implements ReactiveController {
  private id = '';
  private client: InferenceClient | null = null;

  constructor(
    host: ReactiveControllerHost,
    private readonly onProgress: (status: LearnStatus) => void,
  ) {
    host.addController(this);
  }

  /** The open head's id ('' for none). */
  get head(): string {
    return this.id;
  }

  /** Opens a head on `backbone` in `client`'s worker (restoring the copy saved under `storeKey`); with `detector`, a face-recognition head. */
  async open(client: InferenceClient, backbone: { key: string; name: string }, storeKey: string | null, detector?: string): Promise<LearnStatus> {
    this.close();
    const id = `head-${++headSerial}-${Math.random().toString(36).slice(2, 8)}`;
    client.onLearnProgress(id, (s) => this.onProgress(s));
    const sha256 = backbone.key.slice(backbone.key.lastIndexOf('#') + 1) || null;
    const status = await client.learn({ op: 'open', head: id, backbone: { ...backbone, sha256 }, storeKey, ...(detector ? { detector } : {}) });
    this.id = id;
    this.client = client;
    return status;
  }

  close(): void {
    if (!this.id || !this.client) return;
    const { client, id } = this;
    client.onLearnProgress(id, null);
    void client.learn({ op: 'close', head: id }).catch(() => {});
    this.id = '';
    this.client = null;
  }

  hostDisconnected(): void {
    this.close();
  }

  /** Runs an operation on the open head; `not-ready` while none is open. */
  run(op: Extract<HeadOp, { op: 'export' }>): Promise<HeadFile>;
  run(op: Exclude<HeadOp, { op: 'export' }>): Promise<LearnStatus>;
  run(op: HeadOp): Promise<LearnStatus | HeadFile> {
    if (!this.id || !this.client) return Promise.reject(new CvError('not-ready', 'The backbone is still loading: wait for cv-ready'));
    // One call for every kind of op: the overloads above keep the callers' types exact.
    return (this.client.learn as (op: LearnOp) => Promise<LearnStatus | HeadFile>)({ ...op, head: this.id } as LearnOp);
  }
}
