/**
 * Closes analysis pools at moments spread over an analysis, in a process of its own: terminating a
 * thread inside an ONNX Runtime call aborts the whole process, so the test reads this one's exit.
 * Prints `closed <n>` after each pool; exits 0 when all have closed.
 *
 *   tsx test/support/pool-close-child.ts <image> <rounds>
 */
import { AnalysisPool } from '../../service/threads/analysis-pool.ts';

const [image, rounds] = process.argv.slice(2) as [string, string];
/** The first closes land as the thread loads its modules (about a second), the later ones through the networks' runs. */
const CLOSE_STEP_MS = 120;

for (let round = 0; round < Number(rounds); round++) {
  // No grace: every close terminates the thread at once, wherever its analysis is.
  const pool = new AnalysisPool({ threads: 1, stopGraceMs: 0 });
  const analysis = pool.analyze(image).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, round * CLOSE_STEP_MS));
  await pool.close();
  await analysis;
  console.log(`closed ${round + 1}`);
}
