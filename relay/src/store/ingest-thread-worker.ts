/**
 * The ingest thread's side (see ingest-thread.ts): its own connection to the store file, and
 * the same group commit SqliteStore runs in-thread. Everything waiting on the port when a
 * commit starts goes into that one transaction (up to maxBatchEvents), so under load the
 * commits grow instead of queueing; each message then gets its own answer.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { requestWeight, toWireError, type ThreadReply, type ThreadRequest } from './ingest-thread.js';
import { SqliteStore } from './sqlite.js';
import type { IngestBatch } from './types.js';

const { file, busyTimeoutMs, maxBatchEvents } = workerData as { file: string; busyTimeoutMs?: number; maxBatchEvents: number };
const store = new SqliteStore(file, { busyTimeoutMs });
const port = parentPort!;
interface Message {
  id: number;
  batches: IngestBatch[];
}
const read = (m: ThreadRequest): Message => ({ id: m.id, batches: JSON.parse(m.batches) as IngestBatch[] });
const weight = (m: Message) => m.batches.reduce((n, b) => n + requestWeight(b), 0);

port.on('message', (first: ThreadRequest) => {
  const messages = [read(first)];
  let total = weight(messages[0]!);
  while (total < maxBatchEvents) {
    const next = receiveMessageOnPort(port) as { message: ThreadRequest } | undefined;
    if (!next) break;
    messages.push(read(next.message));
    total += weight(messages[messages.length - 1]!);
  }
  let replies: ThreadReply[];
  try {
    const results = store.commitIngest(messages.flatMap((m) => m.batches));
    let at = 0;
    replies = messages.map((m) => {
      const mine = results.slice(at, (at += m.batches.length));
      return { id: m.id, results: mine.map((r) => (r.ok ? r : { ok: false as const, error: toWireError(r.error) })) };
    });
  } catch (err) {
    const error = toWireError(err);
    replies = messages.map((m) => ({ id: m.id, error }));
  }
  for (const r of replies) port.postMessage(r);
});
