import { SingleBar, Presets } from 'cli-progress';

/** A progress bar on stderr when it is a terminal; silent otherwise (pipes, CI logs). */
export interface Progress {
  tick(): void;
  stop(): void;
}

export function startProgress(total: number, label: string): Progress {
  if (!process.stderr.isTTY) return { tick() {}, stop() {} };
  const bar = new SingleBar(
    { format: `${label} [{bar}] {value}/{total} {percentage}% | {eta_formatted} left`, stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}
