/**
 * Ingest commits on a thread of their own.
 *
 * Every accepted request waits for a durable COMMIT (synchronous = FULL) before its 202. On the
 * main thread those inserts and fsyncs took about a third of a single-event request's CPU, time
 * in which no other request could be parsed or answered (bench/ingest.sh). Here a worker thread
 * with its own connection to the same file runs the very same group commit (SqliteStore's
 * `commitIngest`), while the main thread keeps serving HTTP:
 *
 * - the requests of one event-loop turn go in one message (setImmediate, never a timer), and the
 *   main thread never waits for the thread to be free: it keeps parsing while a commit runs;
 * - the thread commits everything waiting on its port in ONE transaction (receiveMessageOnPort),
 *   so commits grow with load instead of queueing one after another (group commit);
 * - a request's promise settles only after the COMMIT that holds it returned on the thread, so
 *   a 202 still means "on disk";
 * - if the thread dies (it should not), what it held is answered "store unavailable" (nothing
 *   was acknowledged) and a new thread serves the next requests.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { IngestBatch, IngestCommitResult } from './types.js';

export type FlushResult = { ok: true; value: IngestCommitResult } | { ok: false; error: unknown };

/** An error as it crosses the thread boundary: enough to map it (SQLite code) and report it. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
}

export type WireResult = { ok: true; value: IngestCommitResult } | { ok: false; error: WireError };

/**
 * What the main thread posts: the requests of one event-loop turn, as JSON text. Cloning a
 * string is a copy; structured-cloning the event objects cost the main thread more than
 * JSON.stringify does, and the thread has the spare time to parse.
 */
export interface ThreadRequest {
  id: number;
  /** JSON of IngestBatch[]. */
  batches: string;
}

/** One answer per ThreadRequest; several requests may have shared the commit. */
export type ThreadReply = { id: number; results: WireResult[] } | { id: number; error: WireError };

export interface IngestThreadOptions {
  busyTimeoutMs?: number;
  /** Requests per commit at most (weight: events + 1), like the in-thread group commit. */
  maxBatchEvents?: number;
}

/** What one ingest request counts for against a commit's maxBatchEvents: its events, plus one. */
export const requestWeight = (b: IngestBatch): number => b.events.length + 1;

export function toWireError(err: unknown): WireError {
  const e = err as { name?: unknown; message?: unknown; code?: unknown } | null;
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  };
}

export function fromWireError(w: WireError): Error {
  const err = new Error(w.message) as Error & { code?: string };
  err.name = w.name;
  if (w.code !== undefined) err.code = w.code;
  return err;
}

interface Pending {
  batch: IngestBatch;
  resolve: (r: FlushResult) => void;
  reject: (e: unknown) => void;
}

/**
 * The thread's script. Under vitest the sources are TypeScript: the thread then starts from a
 * small bootstrap that registers tsx's loader before importing the script.
 */
function startWorker(workerData: unknown): Worker {
  // A second V8 heap adds ~25 MB to the relay's RSS with default limits; an 8 MB young
  // generation keeps ~20 MB of that back at no measured throughput cost (4 MB cost 15% of the
  // batch throughput in bench/ingest.sh; bench/delivery.sh measures the RSS).
  const resourceLimits = { maxYoungGenerationSizeMb: Number(process.env.LAYERSYNC_INGEST_THREAD_YOUNG_MB ?? 8) };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./ingest-thread-worker.js', import.meta.url), { workerData, resourceLimits });
  // The package's ESM entry (require.resolve gives the CommonJS one next to it).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const script = new URL('./ingest-thread-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits });
}

export class IngestThread {
  private worker: Worker | undefined;
  /** This turn's requests, posted together on the next setImmediate. */
  private queue: Pending[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  /** Posted and not answered yet, by message id. */
  private readonly inFlight = new Map<number, Pending[]>();
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  constructor(
    private readonly file: string,
    private readonly opts: IngestThreadOptions,
    private readonly onThreadError: (err: unknown) => void = () => {},
  ) {
    this.worker = this.spawn();
  }

  submit(batch: IngestBatch): Promise<FlushResult> {
    if (this.closing) return Promise.reject(fromWireError({ name: 'Error', message: 'the ingest thread is closing', code: 'SQLITE_MISUSE_CLOSING' }));
    return new Promise<FlushResult>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.scheduled ??= setImmediate(() => this.post());
    });
  }

  /** Waits for what is queued and in flight, then stops the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.post();
      if (this.inFlight.size > 0) await new Promise<void>((r) => (this.drained = r));
      const w = this.worker;
      this.worker = undefined;
      if (w) await w.terminate();
    })();
    return this.closing;
  }

  private spawn(): Worker {
    const worker = startWorker({ file: this.file, busyTimeoutMs: this.opts.busyTimeoutMs, maxBatchEvents: this.opts.maxBatchEvents ?? 2000 });
    worker.on('message', (reply: ThreadReply) => this.settle(reply));
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.lost(worker, new Error(`the ingest thread exited with code ${code}`));
    });
    // The thread must not keep a process alive on its own (the app's close() stops it).
    worker.unref();
    return worker;
  }

  private post(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.queue.length === 0 || !this.worker) return;
    const items = this.queue;
    this.queue = [];
    const id = this.nextId++;
    this.inFlight.set(id, items);
    const message: ThreadRequest = { id, batches: JSON.stringify(items.map((p) => p.batch)) };
    this.worker.postMessage(message);
  }

  private settle(reply: ThreadReply): void {
    const items = this.inFlight.get(reply.id) ?? [];
    this.inFlight.delete(reply.id);
    if ('error' in reply) {
      const err = fromWireError(reply.error);
      for (const p of items) p.reject(err);
    } else {
      items.forEach((p, i) => {
        const r = reply.results[i]!;
        p.resolve(r.ok ? r : { ok: false, error: fromWireError(r.error) });
      });
    }
    if (this.inFlight.size === 0) this.drained?.();
  }

  /** The thread failed: what it held was not acknowledged; a new thread takes what comes next. */
  private lost(worker: Worker, err: unknown): void {
    if (this.worker !== worker) return;
    this.onThreadError(err);
    const unavailable = fromWireError({ name: 'Error', message: `the ingest thread failed: ${(err as Error).message}`, code: 'SQLITE_IOERR_THREAD' });
    for (const items of this.inFlight.values()) for (const p of items) p.reject(unavailable);
    this.inFlight.clear();
    this.worker = this.closing ? undefined : this.spawn();
    if (this.queue.length > 0) this.scheduled ??= setImmediate(() => this.post());
    this.drained?.();
  }
}
