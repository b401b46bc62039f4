#!/usr/bin/env node
import { run } from './cli';
import { boundHeapGrowth } from './heap';
import { UsageError } from './io';

// A reader that stops early (`interlend requests | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// Long runs keep V8's heap near what is live (heap.ts); a malformed INTERLEND_HEAP_GROWTH is a usage error.
try {
  boundHeapGrowth(process.argv[2], process.env);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`interlend: ${error.message}\n`);
  process.exit(2);
}

run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`interlend: ${String((error as Error)?.stack ?? error)}\n`);
    process.exitCode = 70;
  },
);
