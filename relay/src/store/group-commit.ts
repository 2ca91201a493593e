/**
 * Group commit: many concurrent ingest requests share one transaction.
 *
 * Each request's 202 must wait for a durable COMMIT (an acknowledged conversion must survive a
 * crash), but one fsync per request caps throughput. So requests queue their writes here; the
 * queue is flushed in one transaction on the next turn of the event loop (setImmediate, never a
 * timer: a timer of even 2 ms caps single-event throughput) or as soon as it holds `maxBatch`
 * units, and every request's promise settles only after that COMMIT (ENVIRONMENT.md measured
 * both the throughput and that answering before the commit loses acknowledged events).
 */
import type { IngestBatch, IngestCommitResult } from './types.js';

/** One request's outcome in a group commit: its own failure does not fail the others. */
export type FlushResult = { ok: true; value: IngestCommitResult } | { ok: false; error: unknown };

/** What one ingest request counts for against a commit's maxBatchEvents: its events, plus one. */
export const requestWeight = (b: IngestBatch): number => b.events.length + 1;

export interface GroupCommitOptions<T> {
  /** Flush once this many units are queued. */
  maxBatch: number;
  /** Units an item counts for (events in a request); defaults to 1. */
  weight?: (item: T) => number;
}

export class GroupCommitter<T, R> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private queuedWeight = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;

  /**
   * @param flushBatch commits all items in ONE transaction and returns one result per item, in
   *   order. It is synchronous on purpose: nothing can join a batch while it commits. If it
   *   throws, every item of the batch is rejected with that error (nothing was committed).
   */
  constructor(
    private readonly flushBatch: (items: T[]) => R[],
    private readonly opts: GroupCommitOptions<T>,
  ) {}

  submit(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new Error('group committer is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.queuedWeight += this.opts.weight?.(item) ?? 1;
      if (this.queuedWeight >= this.opts.maxBatch) this.flush();
      else this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits whatever is queued now. */
  flush(): void {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.queuedWeight = 0;
    let results: R[];
    try {
      results = this.flushBatch(batch.map((b) => b.item));
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    batch.forEach((b, i) => b.resolve(results[i] as R));
  }

  /** Commits what is queued and refuses new work. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
