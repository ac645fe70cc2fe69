import { benchTrustListVerify } from './trustlist-verify.js';
import { benchTftp } from './tftp.js';
import { benchTvs } from './tvs.js';
import { benchRegistrar } from './registrar.js';
import { benchFleet } from './fleet.js';
import { benchFuzz } from './fuzz.js';

/**
 * `npm run bench [-- NAME…] [--seconds N]`: runs the benchmarks (all by default) and prints
 * each subject's rate, its same-run baseline and the ratio.
 */
const BENCHES: Record<string, (seconds: number) => Promise<unknown>> = {
  trustlist: benchTrustListVerify,
  tftp: benchTftp,
  tvs: benchTvs,
  registrar: benchRegistrar,
  fleet: benchFleet,
  fuzz: benchFuzz,
};

const args = process.argv.slice(2);
const secIdx = args.indexOf('--seconds');
const seconds = secIdx >= 0 ? Number(args[secIdx + 1]) : 3;
const names = args.filter((a, i) => !a.startsWith('--') && (secIdx < 0 || i !== secIdx + 1));
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(BENCHES).join(', ')}\n`);
  process.exit(64);
}
process.stdout.write(`trustlab benchmarks — node ${process.version}, ${new Date().toISOString()}\n\n`);
for (const name of names.length ? names : Object.keys(BENCHES)) {
  process.stdout.write(`== ${name} ==\n`);
  await BENCHES[name]!(seconds);
}
