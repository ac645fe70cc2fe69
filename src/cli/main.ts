// The `trustlab` executable. @peculiar/x509 needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { runCli } from './program.js';
import { processIo, reportError } from './io.js';

try {
  process.exitCode = await runCli(process.argv.slice(2), processIo);
} catch (e) {
  process.exitCode = reportError(processIo, e, false);
}
