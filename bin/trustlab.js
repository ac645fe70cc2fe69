#!/usr/bin/env node
// The `trustlab` command. The TypeScript sources are compiled to dist/ by `npm ci`
// (the `prepare` script) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('trustlab is not built yet: run `npm ci` (or `npm run build`) in the repository first.\n');
  process.exit(70);
}
await import(entry.href);
