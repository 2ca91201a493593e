/**
 * Ingest on a thread of its own.
 *
 * The main thread serves HTTP and checks each request's signature; everything after that —
 * parsing, validation, the rate limit, delivery planning (process.ts) and the durable COMMIT —
 * runs on a worker thread with its own connection to the store file. Parsing and validating a
 * single-event request cost the main thread about as much as the HTTP exchange itself, and the
 * inserts and fsyncs held up every other request (bench/ingest.sh); here the main thread never
 * waits for them:
 *
 * - the verified requests of one event-loop turn go in one message (setImmediate, never a timer)
 *   with their bodies as text (cloning a string is a copy);
 * - the thread takes everything waiting on its port, processes it and commits all of it in ONE
 *   transaction (receiveMessageOnPort), so commits grow with load instead of queueing (group
 *   commit); each request's answer comes back after that COMMIT, so a 202 still means "on disk";
 * - if the thread dies (it should not), what it held is answered 503 "store unavailable"
 *   (nothing was acknowledged) and a new thread serves the next requests.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { unavailableAnswer, type EventMapTable, type IngestAnswer, type IngestSettings, type VerifiedIngest } from './process.js';

/** What the main thread posts: the verified requests of one event-loop turn. */
export interface ThreadRequest {
  id: number;
  requests: VerifiedIngest[];
}

/** One answer per request of a ThreadRequest, in order. */
export interface ThreadReply {
  id: number;
  answers: IngestAnswer[];
}

export interface IngestThreadOptions {
  /** The SQLite store file. */
  file: string;
  busyTimeoutMs?: number;
  /** Events per commit at most (a request counts its events plus one). */
  maxBatchEvents?: number;
  settings: IngestSettings;
  eventMaps: EventMapTable;
  /** How often idle rate buckets are dropped on the thread (ms). */
  sweepIntervalMs?: number;
  /** The thread's young generation (MB, default 8): RSS against GC work. */
  youngGenerationMb?: number;
  /** The largest body a request may have (bytes): sizes the thread's old generation. */
  bodyLimitBytes?: number;
}

/** What the thread starts from (workerData). */
export type IngestThreadData = Required<Omit<IngestThreadOptions, 'busyTimeoutMs' | 'youngGenerationMb' | 'bodyLimitBytes'>> & { busyTimeoutMs?: number };

/** Requests per message at most (measured in bench/ingest.sh: 4–16 all did well). */
const POST_EVERY = 8;

/**
 * The thread's heap. Left to V8, a second heap grows well past what the thread keeps alive and
 * added ~30 MB to the relay's RSS under load (bench/delivery.sh: 191–196 MB at 5,000 events/s
 * against 170–174 MB with these limits, for the same throughput in bench/ingest.sh):
 * - a small young generation (LAYERSYNC_INGEST_THREAD_YOUNG_MB, default 8 MB);
 * - an old generation sized from what one message can hold: POST_EVERY bodies of at most the
 *   body limit, and their parsed events — 64 MB plus 16 MB per MB of body limit (80 MB by
 *   default), so a full message of the largest bodies fits. Should the thread still run out, it
 *   is replaced and what it held is answered 503 (nothing acknowledged is lost).
 */
function threadHeapLimits(opts: Pick<IngestThreadOptions, 'youngGenerationMb' | 'bodyLimitBytes'>): ResourceLimits {
  const bodyMb = Math.ceil((opts.bodyLimitBytes ?? 1024 * 1024) / (1024 * 1024));
  return { maxYoungGenerationSizeMb: opts.youngGenerationMb ?? 8, maxOldGenerationSizeMb: 64 + 2 * POST_EVERY * bodyMb };
}

interface Pending {
  request: VerifiedIngest;
  resolve: (a: IngestAnswer) => void;
}

/**
 * The thread's script. Under vitest the sources are TypeScript: the thread then starts from a
 * small bootstrap that registers tsx's loader before importing the script.
 */
function startWorker(workerData: IngestThreadData, resourceLimits: ResourceLimits): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./thread-worker.js', import.meta.url), { workerData, resourceLimits });
  // The package's ESM entry (require.resolve gives the CommonJS one next to it).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const script = new URL('./thread-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits });
}

export class IngestThread {
  private worker: Worker | undefined;
  /** Requests not posted yet: posted at POST_EVERY, or on the next setImmediate. */
  private queue: Pending[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  /** Posted and not answered yet, by message id. */
  private readonly inFlight = new Map<number, Pending[]>();
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  private readonly data: IngestThreadData;
  private readonly limits: ResourceLimits;

  constructor(
    opts: IngestThreadOptions,
    private readonly onThreadError: (err: unknown) => void = () => {},
  ) {
    this.data = {
      file: opts.file,
      busyTimeoutMs: opts.busyTimeoutMs,
      maxBatchEvents: opts.maxBatchEvents ?? 2000,
      settings: opts.settings,
      eventMaps: opts.eventMaps,
      sweepIntervalMs: opts.sweepIntervalMs ?? 60_000,
    };
    this.limits = threadHeapLimits(opts);
    this.worker = this.spawn();
  }

  /** Processes and commits one verified request; never rejects (failures are 503/500 answers). */
  process(request: VerifiedIngest): Promise<IngestAnswer> {
    if (this.closing) return Promise.resolve(unavailableAnswer({ name: 'Error', message: 'the ingest thread is closing' }));
    return new Promise<IngestAnswer>((resolve) => {
      this.queue.push({ request, resolve });
      // A few requests are enough to start a commit: the thread then works while this thread
      // reads the rest of the turn's requests, instead of both taking turns.
      if (this.queue.length >= POST_EVERY) this.post();
      else this.scheduled ??= setImmediate(() => this.post());
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
    const worker = startWorker(this.data, this.limits);
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
    const message: ThreadRequest = { id, requests: items.map((p) => p.request) };
    this.worker.postMessage(message);
  }

  private settle(reply: ThreadReply): void {
    const items = this.inFlight.get(reply.id) ?? [];
    this.inFlight.delete(reply.id);
    items.forEach((p, i) => p.resolve(reply.answers[i] ?? unavailableAnswer({ name: 'Error', message: 'the ingest thread gave no answer' })));
    if (this.inFlight.size === 0) this.drained?.();
  }

  /** The thread failed: what it held was not acknowledged; a new thread takes what comes next. */
  private lost(worker: Worker, err: unknown): void {
    if (this.worker !== worker) return;
    this.onThreadError(err);
    const answer = unavailableAnswer({ name: 'Error', message: `the ingest thread failed: ${(err as Error).message}`, code: 'SQLITE_IOERR_THREAD' });
    for (const items of this.inFlight.values()) for (const p of items) p.resolve(answer);
    this.inFlight.clear();
    this.worker = this.closing ? undefined : this.spawn();
    if (this.queue.length > 0) this.scheduled ??= setImmediate(() => this.post());
    this.drained?.();
  }
}
