import type { CliIo } from './io';

/**
 * A progress bar on a terminal (stderr), redrawn at most every 100 ms; nothing when stderr is not
 * a terminal or when JSON output was asked for, so pipes and `--json` stay clean.
 */
export class Progress {
  private last = 0;
  private readonly enabled: boolean;
  private readonly started = Date.now();

  constructor(
    private readonly io: CliIo,
    private readonly label: string,
    options: { quiet?: boolean } = {},
  ) {
    this.enabled = !options.quiet && Boolean(io.stderr.isTTY);
  }

  update(done: number, total: number, detail = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    const width = Math.max(10, Math.min(40, (this.io.stderr.columns ?? 80) - 60));
    const ratio = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(ratio * width);
    const elapsed = (now - this.started) / 1000;
    const eta = ratio > 0 && ratio < 1 ? ` eta ${Math.ceil((elapsed / ratio) * (1 - ratio))}s` : '';
    this.io.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${(ratio * 100).toFixed(0)}%${eta} ${detail}\u001b[K`);
  }

  done(message?: string): void {
    if (!this.enabled) return;
    this.io.stderr.write(`\r\u001b[K${message ? `${message}\n` : ''}`);
  }
}
