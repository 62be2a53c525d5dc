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
