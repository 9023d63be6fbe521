import { endAnalysisThreads } from '../service/threads/analysis-pool.ts';

/** Where shutdown lines go: the process's JSON logger. */
interface ShutdownLog {
  info(record: object, message: string): void;
  error(record: object, message: string): void;
}

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits 0; a second signal exits at once (130). When `stop`
 * has not finished within `deadlineMs` (a long job, or Redis away so nothing can be acknowledged),
 * the process exits 1 anyway: orchestrators kill after their own grace period (10 s by default in
 * Kubernetes and Docker), and a job cut short is retried by another worker once its lock expires.
 */
export function onShutdown(stop: () => Promise<void>, log: ShutdownLog, deadlineMs: number): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return exitBetweenNativeCalls(130);
    stopping = true;
    log.info({ signal, deadlineMs }, 'stopping: finishing running work');
    setTimeout(() => {
      log.error({ deadlineMs }, 'stopping: running work did not finish in time, exiting anyway');
      exitBetweenNativeCalls(1);
    }, deadlineMs).unref();
    stop().then(
      () => exitBetweenNativeCalls(0),
      (e: unknown) => {
        log.error({ err: e instanceof Error ? e.message : String(e) }, 'stopping failed');
        exitBetweenNativeCalls(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/**
 * Longest wait of an exit for the analysis threads to leave their ONNX Runtime calls. A call takes
 * 30-100 ms (a network's run on one core), so 1 s spans one even on a loaded machine; a thread
 * still loading its modules may take longer, and then the exit goes ahead. The default
 * ARTMETA_SHUTDOWN_MS (8 s) plus this stays within the 10 s orchestrators give.
 */
const EXIT_NATIVE_CALL_WAIT_MS = 1_000;

let exiting = false;

/**
 * Exits with `code` once no analysis thread is inside an ONNX Runtime call: process.exit ends the
 * threads, and onnxruntime-node aborts the process (exit 134 instead of `code`, a core dump, a raw
 * C++ message on stderr) when one is ended inside a call (analysis/onnx/native-call-gate.ts).
 */
function exitBetweenNativeCalls(code: number): void {
  if (exiting) return;
  exiting = true;
  const waited = new Promise((resolve) => setTimeout(resolve, EXIT_NATIVE_CALL_WAIT_MS));
  void Promise.race([endAnalysisThreads(), waited]).finally(() => process.exit(code));
}
