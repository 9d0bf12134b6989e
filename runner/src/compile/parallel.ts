/**
 * Rendering many models on several threads. Handlebars spends most of a cold compile generating and
 * compiling each template's JavaScript. Worker threads, each with its own Handlebars environment, take
 * chunks of the list as the main thread does, from one shared counter: the main thread starts at once
 * and a worker helps from when it is ready. This module is also the workers' entry.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, MessageChannel, type MessagePort, receiveMessageOnPort, Worker, workerData } from 'node:worker_threads';
import { UserError, type ErrorCode } from '../errors.js';
import type { SpecStore } from './handlebars.js';
import type { Project } from '../project/project.js';
import { createEnvironment, macroSpecs, renderJobs, type RenderContext, type RenderJob, type RenderOutcome } from './render.js';

export interface RenderTask {
  macros: Project['macros'];
  jobs: RenderJob[];
  ctx: RenderContext;
  specs: SpecStore;
}

export interface RenderResult {
  outcomes: RenderOutcome[];
  /** Precompiled templates of the macros the workers compiled. */
  made: SpecStore;
}

/** Below this many models the main thread alone is done before a worker has started. */
const parallelFrom = 1000;
const chunkSize = 50;
/** A worker that finishes no chunk for this long is given up; its chunks are rendered here. */
const patienceMs = 120_000;
// slots of the shared counters
const NEXT = 0;
const STOP = 1;
const FILLED = 2;

interface WorkerInput {
  task: RenderTask;
  port: MessagePort;
  shared: Int32Array;
}

type ChunkMessage = { chunk: number; outcomes: RenderOutcome[]; made: SpecStore };
type SentError = { user: boolean; code?: ErrorCode; message: string; stack?: string };

const failed = (outcomes: RenderOutcome[]) => outcomes.some((o) => 'error' in o);

/** The next chunk to render, or -1 when none is left or one failed (nothing after it is read). */
function claim(shared: Int32Array, chunks: number): number {
  if (Atomics.load(shared, STOP)) return -1;
  const chunk = Atomics.add(shared, NEXT, 1);
  return chunk < chunks ? chunk : -1;
}

/**
 * Renders the jobs; outcomes come in the order of the list and end at the first failure. `here`
 * renders jobs on this thread. Synchronous: it waits for the workers' chunks.
 */
export function renderInParallel(task: RenderTask, here: (jobs: RenderJob[]) => RenderOutcome[],
  threads = task.jobs.length >= parallelFrom ? Math.min(availableParallelism(), 8) : 1): RenderResult {
  if (threads < 2) return { outcomes: here(task.jobs), made: {} };
  const chunks = Math.ceil(task.jobs.length / chunkSize);
  const jobsOf = (chunk: number) => task.jobs.slice(chunk * chunkSize, (chunk + 1) * chunkSize);
  const shared = new Int32Array(new SharedArrayBuffer(12));
  const workers = Array.from({ length: threads - 1 }, () => {
    const { port1, port2 } = new MessageChannel();
    const input: WorkerInput = { task, port: port2, shared };
    const worker = new Worker(new URL(import.meta.url), { workerData: input, transferList: [port2] });
    // a worker that fails leaves its chunks to this thread (below)
    worker.on('error', () => {});
    worker.unref();
    return { worker, port: port1 };
  });
  const byChunk: RenderOutcome[][] = [];
  let mine = 0;
  for (let chunk = claim(shared, chunks); chunk >= 0; chunk = claim(shared, chunks)) {
    byChunk[chunk] = here(jobsOf(chunk));
    mine++;
    if (failed(byChunk[chunk])) Atomics.store(shared, STOP, 1);
  }
  // the chunks the workers claimed
  const theirs = Math.min(Atomics.load(shared, NEXT), chunks) - mine;
  for (let filled = Atomics.load(shared, FILLED); filled < theirs; filled = Atomics.load(shared, FILLED)) {
    if (Atomics.wait(shared, FILLED, filled, patienceMs) === 'timed-out') break;
  }
  const made: SpecStore = {};
  for (const { worker, port } of workers) {
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      const { chunk, outcomes, made: theirs } = m.message as ChunkMessage;
      byChunk[chunk] = outcomes.map(revive);
      Object.assign(made, theirs);
    }
    void worker.terminate();
  }
  const outcomes: RenderOutcome[] = [];
  for (let chunk = 0; chunk < chunks; chunk++) {
    // a worker that gave up leaves its chunks to this thread
    byChunk[chunk] ??= here(jobsOf(chunk));
    outcomes.push(...byChunk[chunk]);
    if (failed(byChunk[chunk])) break;
  }
  return { outcomes, made };
}

const send = (outcome: RenderOutcome): RenderOutcome => {
  if (!('error' in outcome)) return outcome;
  const e = outcome.error as Error & { code?: ErrorCode };
  const error: SentError = { user: e instanceof UserError, code: e.code, message: e.message ?? String(e), stack: e.stack };
  return { error };
};

function revive(outcome: RenderOutcome): RenderOutcome {
  if (!('error' in outcome)) return outcome;
  const sent = outcome.error as SentError;
  const error = sent.user ? new UserError(sent.code!, sent.message) : Object.assign(new Error(sent.message), { stack: sent.stack });
  return { error };
}

if (!isMainThread && (workerData as WorkerInput | undefined)?.shared) {
  const { task, port, shared } = workerData as WorkerInput;
  const chunks = Math.ceil(task.jobs.length / chunkSize);
  const hb = createEnvironment({ macros: task.macros }, task.specs);
  for (let chunk = claim(shared, chunks); chunk >= 0; chunk = claim(shared, chunks)) {
    let outcomes: RenderOutcome[];
    try {
      outcomes = renderJobs(hb, task.jobs.slice(chunk * chunkSize, (chunk + 1) * chunkSize), task.ctx);
    } catch (error) {
      outcomes = [{ error }];
    }
    const message: ChunkMessage = { chunk, outcomes: outcomes.map(send), made: macroSpecs(hb, task.macros) };
    port.postMessage(message);
    if (failed(outcomes)) Atomics.store(shared, STOP, 1);
    Atomics.add(shared, FILLED, 1);
    Atomics.notify(shared, FILLED);
  }
  port.close();
}
