/**
 * Headless Chromium for the browser tests: Debian's `chromium` (/usr/bin/chromium) driven by
 * playwright-core, which downloads no browser. A missing browser is a failure that says how to
 * install it, never a skipped test.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's package puts it; CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that keep a headless Chromium quiet and working as root in a container (see docs/dashboard.md). */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'] as const;

export const CHROMIUM_INSTALL_HINT = `install Debian's chromium: 'apt-get install -y chromium' (as root), or 'bash scripts/install-test-deps.sh'; or set CHROMIUM_PATH to another Chromium`;

/** Fails with the install hint when the browser is not there. */
export function requireChromium(executablePath: string = CHROMIUM_PATH): string {
  if (!existsSync(executablePath)) throw new Error(`the browser tests need Chromium at ${executablePath}, which is missing: ${CHROMIUM_INSTALL_HINT}`);
  return executablePath;
}

export async function launchChromium(executablePath: string = CHROMIUM_PATH): Promise<Browser> {
  requireChromium(executablePath);
  try {
    return await chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_FLAGS], timeout: 30_000 });
  } catch (error) {
    throw new Error(`Chromium at ${executablePath} did not start: ${error instanceof Error ? error.message : String(error)}\n(${CHROMIUM_INSTALL_HINT})`, { cause: error });
  }
}
