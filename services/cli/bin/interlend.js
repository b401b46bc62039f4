#!/usr/bin/env -S node --max-semi-space-size=32
// A larger young generation: folding XState snapshots allocates many short-lived objects (measured: replay about 1.5x faster).
// Runs the compiled CLI (built by `npm install` through the root `prepare` script, or `npm run build`).
try {
  require.resolve('../dist/main.js');
} catch {
  process.stderr.write("interlend: the CLI is not built yet: run 'npm run build' at the repository root\n");
  process.exit(70);
}
require('../dist/main.js');
