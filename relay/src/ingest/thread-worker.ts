/**
 * The ingest thread's side (see thread.ts): its own connection to the store file, the same
 * processing the main thread would do (process.ts) and the same group commit as SqliteStore's
 * in-thread one. Everything waiting on the port when a commit starts goes into that one
 * transaction (up to maxBatchEvents); each message then gets its answers.
 *
 * This connection has no vault: it reads destinations only for their slug and event map, never
 * their settings, and never a site secret (the main thread checked the signature).
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { requestWeight } from '../store/group-commit.js';
import { mapStoreError, SqliteStore } from '../store/sqlite.js';
import { StoreUnavailableError } from '../store/types.js';
import { IngestProcessor, internalErrorAnswer, toWireError, unavailableAnswer, type IngestAnswer, type PreparedIngest } from './process.js';
import type { IngestThreadData, ThreadReply, ThreadRequest } from './thread.js';

const data = workerData as IngestThreadData;
// Cached destinations are checked once per commit (checkOtherWrites below), not by the clock: a
// destination the main thread just added is planned for the next request.
const store = new SqliteStore(data.file, { busyTimeoutMs: data.busyTimeoutMs, configRecheckMs: Infinity });
const processor = new IngestProcessor(data.settings, data.eventMaps);
const port = parentPort!;
const destinations = (siteId: string) => store.enabledDestinations(siteId);

/** A failed commit: 503 when the store cannot answer (retry later), else 500; the route logs it. */
function storeErrorAnswer(err: unknown): IngestAnswer {
  const failure = toWireError(err);
  return mapStoreError(err) instanceof StoreUnavailableError ? unavailableAnswer(failure) : internalErrorAnswer(failure);
}

setInterval(() => processor.sweep(Date.now()), data.sweepIntervalMs).unref();

/** One message's requests: each either answered already or prepared for the commit. */
interface Work {
  id: number;
  slots: Array<IngestAnswer | PreparedIngest>;
}

function prepare(m: ThreadRequest): { work: Work; weight: number } {
  let weight = 0;
  const slots = m.requests.map((r): IngestAnswer | PreparedIngest => {
    try {
      const p = processor.prepare(r, destinations);
      if ('answer' in p) return p.answer;
      weight += requestWeight(p.batch);
      return p;
    } catch (err) {
      return internalErrorAnswer(toWireError(err));
    }
  });
  return { work: { id: m.id, slots }, weight };
}

const isPrepared = (s: IngestAnswer | PreparedIngest): s is PreparedIngest => 'batch' in s;

port.on('message', (first: ThreadRequest) => {
  try {
    store.checkOtherWrites();
  } catch {
    // The store cannot answer: the commit below fails and says so.
  }
  const works: Work[] = [];
  let total = 0;
  for (let m: ThreadRequest | undefined = first; m; ) {
    const { work, weight } = prepare(m);
    works.push(work);
    total += weight;
    if (total >= data.maxBatchEvents) break;
    m = (receiveMessageOnPort(port) as { message: ThreadRequest } | undefined)?.message;
  }

  const prepared = works.flatMap((w) => w.slots.filter(isPrepared));
  let commit: (i: number) => IngestAnswer;
  try {
    const results = prepared.length > 0 ? store.commitIngest(prepared.map((p) => p.batch)) : [];
    commit = (i) => {
      const r = results[i]!;
      return r.ok ? processor.answer(prepared[i]!, r.value) : storeErrorAnswer(r.error);
    };
  } catch (err) {
    const answer = storeErrorAnswer(err);
    commit = () => answer;
  }
  let at = 0;
  for (const w of works) {
    const reply: ThreadReply = { id: w.id, answers: w.slots.map((s) => (isPrepared(s) ? commit(at++) : s)) };
    port.postMessage(reply);
  }
});
