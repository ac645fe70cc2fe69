#!/usr/bin/env node
// The `trustlab` command. The TypeScript sources are compiled to dist/ by `npm ci`
// (the `prepare` script) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A reader that goes away (`trustlab … | head -1`) ends the command quietly with status 0, as
// the reader asked for no more; trustlab writes its files atomically, so stopping here leaves
// nothing half-written. Any other stdout error is reported. Installed before anything can write.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  process.stderr.write(`trustlab: cannot write to standard output: ${err.message}\n`);
  process.exit(74); // EXIT.IO_ERROR in src/cli/exit-codes.ts
});
process.stderr.on('error', () => {});

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('trustlab is not built yet: run `npm ci` (or `npm run build`) in the repository first.\n');
  process.exit(70);
}
await import(entry.href);
