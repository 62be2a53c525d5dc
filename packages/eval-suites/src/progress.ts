import cliProgress from 'cli-progress';

/** Receives progress of a running evaluation (a bar, a log, or nothing). */
export interface ProgressReporter {
  /** A new phase with `total` steps. */
  start(total: number, label: string): void;
  /** `steps` more steps are done. */
  increment(steps: number): void;
  /** The phase is over. */
  stop(): void;
}

/** Reports nothing (the default of every suite). */
export const silentProgress: ProgressReporter = {
  start() {},
  increment() {},
  stop() {},
};

/** A progress bar on stderr (cli-progress), so that stdout stays clean for `--json`. */
export function createProgressBar(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(total, label) {
      bar?.stop();
      bar = new cliProgress.SingleBar(
        { stream, format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta}s`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
    },
    increment(steps) {
      bar?.increment(steps);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
