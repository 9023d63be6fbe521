/**
 * A service process whose shutdown ends by force while its analysis thread is inside an ONNX
 * Runtime call: by a second signal, or by the deadline (0 ms) for work that never finishes. Exiting
 * inside a call aborts the process (exit 134), so the test reads this one's exit code.
 *
 *   tsx test/support/forced-exit-child.ts <image> second-signal|deadline
 */
import { NativeCallFlags } from '../../analysis/onnx/native-call-gate.ts';
import { onShutdown } from '../../cli/shutdown.ts';
import { AnalysisPool } from '../../service/threads/analysis-pool.ts';

const [image, mode] = process.argv.slice(2) as [string, 'second-signal' | 'deadline'];

// The pool keeps its threads' flags to itself; those it makes are watched here.
const threadFlags: NativeCallFlags[] = [];
const forNewThread = NativeCallFlags.forNewThread.bind(NativeCallFlags);
NativeCallFlags.forNewThread = () => {
  const flags = forNewThread();
  threadFlags.push(flags);
  return flags;
};

const pool = new AnalysisPool({ threads: 1 });
// Once answered, the thread has loaded: from now on its flags count ONNX Runtime calls only.
await pool.analyze(image);
void (async () => {
  for (;;) await pool.analyze(image);
})().catch(() => undefined);

const insideCall = () => threadFlags.every((flags) => flags.underWay());
/** Longest hold of the main thread: past it the thread may be idle, waiting for the task main would send. */
const HOLD_MS = 1_000;

/**
 * A call under way this long is one of the networks' long runs (tens of ms), not one of the
 * verifier's short ones, which may end before the exit that follows the hold gets to run.
 */
const LONG_CALL_MS = 5;

const holdUntilInsideCall = () => {
  const until = performance.now() + HOLD_MS;
  let since = Infinity;
  for (let now = performance.now(); now < until && now - since < LONG_CALL_MS; now = performance.now()) since = insideCall() ? Math.min(since, now) : Infinity;
};
// Registered before the shutdown's handler, so runs first. A second signal's exit comes at once
// from the handler: held here until a long call is under way. The 0 ms deadline's exit comes from a
// timer the handler sets: the one set here, in the same turn of the event loop, runs just before it.
process.on('SIGTERM', () => (mode === 'second-signal' ? holdUntilInsideCall() : setTimeout(holdUntilInsideCall, 0)));
const log = { info: (_record: object, message: string) => console.log(message), error: (_record: object, message: string) => console.log(message) };
onShutdown(() => new Promise<void>(() => undefined), log, mode === 'deadline' ? 0 : 60_000);

/** Signals as a call starts: the handler, a moment later, most likely finds it still under way. */
async function signalInsideCall(): Promise<void> {
  while (!insideCall()) await new Promise((resolve) => setImmediate(resolve));
  process.kill(process.pid, 'SIGTERM');
}

await signalInsideCall();
if (mode === 'second-signal') {
  await new Promise((resolve) => setTimeout(resolve, 50));
  await signalInsideCall();
}
