/**
 * Closes analysis pools at moments spread over an analysis, in a process of its own: terminating a
 * thread inside an ONNX Runtime call aborts the whole process, so the test reads this one's exit.
 * Prints `closed <n>` after each pool; exits 0 when all have closed.
 *
 *   tsx test/support/pool-close-child.ts <image> <rounds>
 */
import { AnalysisPool } from '../../service/threads/analysis-pool.ts';

const [image, rounds] = process.argv.slice(2) as [string, string];
/** The first close lands as the thread loads, the later ones through the networks' runs. */
const FIRST_CLOSE_MS = 300;
const CLOSE_STEP_MS = 150;

for (let round = 0; round < Number(rounds); round++) {
  // No grace: every close terminates the thread at once, wherever its analysis is.
  const pool = new AnalysisPool({ threads: 1, stopGraceMs: 0 });
  const analysis = pool.analyze(image).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, FIRST_CLOSE_MS + round * CLOSE_STEP_MS));
  await pool.close();
  await analysis;
  console.log(`closed ${round + 1}`);
}
