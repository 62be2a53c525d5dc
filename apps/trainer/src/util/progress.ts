/**
 * A progress bar on stderr (cli-progress) with loss, tokens/s and ETA; silent when `quiet` or when
 * stderr is not a terminal, where it prints a plain line every few percent instead.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(step: number, values: { loss?: number; tps?: number }): void;
  log(message: string): void;
  stop(): void;
}

export function createProgress(total: number, quiet = false, label = 'train'): Progress {
  if (quiet) return { update() {}, log() {}, stop() {} };
  if (!process.stderr.isTTY) {
    let last = -1;
    return {
      update(step, v) {
        const pct = Math.floor((100 * step) / total);
        if (pct >= last + 5 || step === total) {
          last = pct;
          process.stderr.write(
            `${label} ${step}/${total} loss ${v.loss?.toFixed(4) ?? '-'} ${Math.round(v.tps ?? 0)} tok/s\n`,
          );
        }
      },
      log: (m) => process.stderr.write(`${m}\n`),
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} | loss {loss} | {tps} tok/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { loss: '-', tps: '-' });
  return {
    update(step, v) {
      bar.update(step, { loss: v.loss?.toFixed(4) ?? '-', tps: Math.round(v.tps ?? 0) });
    },
    log(m) {
      bar.stop();
      process.stderr.write(`${m}\n`);
      bar.start(total, (bar as unknown as { value: number }).value ?? 0, { loss: '-', tps: '-' });
    },
    stop: () => bar.stop(),
  };
}

/** Several labelled bars at once (runs in worker processes); a finished run's bar is removed. */
export interface MultiProgress {
  update(label: string, step: number, total: number, values: { loss?: number; tps?: number }): void;
  log(message: string): void;
  stop(): void;
}

export function createMultiProgress(quiet = false): MultiProgress {
  if (quiet) return { update() {}, log() {}, stop() {} };
  if (!process.stderr.isTTY) {
    // Plain lines, each naming its run: the single bar's line mode, one per label.
    const bars = new Map<string, Progress>();
    return {
      update(label, step, total, v) {
        let bar = bars.get(label);
        if (!bar) {
          bar = createProgress(total, false, label);
          bars.set(label, bar);
        }
        bar.update(step, v);
        if (step === total) bars.delete(label);
      },
      log: (m) => process.stderr.write(`${m}\n`),
      stop: () => bars.clear(),
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      format: '{label} [{bar}] {value}/{total} | loss {loss} | {tps} tok/s | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    update(label, step, total, v) {
      let bar = bars.get(label);
      if (!bar) {
        bar = multi.create(total, 0, { label, loss: '-', tps: '-' });
        bars.set(label, bar);
      }
      bar.update(step, { label, loss: v.loss?.toFixed(4) ?? '-', tps: Math.round(v.tps ?? 0) });
      if (step === total) {
        multi.remove(bar);
        bars.delete(label);
        multi.log(`${label}: ${total} steps, loss ${v.loss?.toFixed(4) ?? '-'}\n`);
      }
    },
    log: (m) => multi.log(`${m}\n`),
    stop: () => multi.stop(),
  };
}
