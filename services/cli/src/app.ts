import { ManualClock, systemClock, type BackgroundProblem, type Clock } from '@interlend/engine';
import { MissingStoreError, describeProblem, openDeployment, type App, type OpenAppOptions, type StoreSettings } from '@interlend/deployment/local';
import { safeText, UsageError, type CliIo } from './io';

export { allowedForPeople, describeProblem, type App, type AppMode, type IllRuntime } from '@interlend/deployment/local';

export interface CliOpenAppOptions extends OpenAppOptions {
  /** Where the default `onBackgroundError` writes its warnings (stderr, one line each). */
  readonly warningsTo?: CliIo;
}

/** The deployment (wired in `@interlend/deployment`), with the CLI's warnings and its words for a missing store. */
export async function openApp(settings: StoreSettings, options: CliOpenAppOptions = {}): Promise<App> {
  const io = options.warningsTo;
  const onBackgroundError = options.onBackgroundError ?? (io ? (problem: BackgroundProblem) => void io.stderr.write(`interlend: warning: ${safeText(describeProblem(problem), { oneLine: true })}\n`) : undefined);
  try {
    return await openDeployment(settings, { ...options, onBackgroundError });
  } catch (error) {
    if (error instanceof MissingStoreError) {
      throw new UsageError(/^no (database|interlend store)/.test(error.message) ? `${error.message}: run 'interlend simulate' or 'interlend submit' first, or pass --store URL (or --db PATH)` : error.message);
    }
    throw error;
  }
}

/** A clock fixed at `--now` (for `timers run --now`), else the system clock. */
export function clockAt(now: string | undefined): Clock {
  if (now === undefined) return systemClock;
  const t = Date.parse(now);
  if (Number.isNaN(t)) throw new UsageError(`--now: '${now}' is not a date-time (use ISO 8601, e.g. 2026-03-01T12:00:00Z)`);
  return new ManualClock(t);
}
