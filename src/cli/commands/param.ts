import type { Command } from 'commander';
import { TLS_CIPHER_POLICIES, type EnterpriseParameters } from '../../cluster/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError } from '../io.js';
import { openCluster, printResult, withLabOptions, type LabFlags } from '../lab-options.js';

/** `trustlab param show|set`: the enterprise parameters that change trust behaviour. */
const NAMES: Record<string, keyof EnterpriseParameters> = {
  'phone-interaction-on-certificate-update': 'phoneInteractionOnCertUpdate',
  'rollback-to-pre-8.0': 'rollbackToPre80',
  'fips-mode': 'fipsMode',
  'tls-ciphers': 'tlsCiphers',
  'endpoint-advanced-encryption': 'endpointAdvancedEncryption',
  'certificate-issuer-to-endpoint': 'capfCertificateIssuer',
  'certificate-validity-check': 'certificateValidityCheck',
  'validity-check-frequency': 'validityCheckFrequencyDays',
};

function parseValue(name: keyof EnterpriseParameters, v: string): EnterpriseParameters[keyof EnterpriseParameters] {
  if (name === 'phoneInteractionOnCertUpdate') {
    if (v !== 'automatic' && v !== 'manual') throw new EmulatorError('USAGE', 'phone-interaction-on-certificate-update is automatic or manual');
    return v;
  }
  if (name === 'tlsCiphers') {
    const p = TLS_CIPHER_POLICIES.find((x) => x.toLowerCase() === v.toLowerCase());
    if (!p) throw new EmulatorError('USAGE', `tls-ciphers is one of: ${TLS_CIPHER_POLICIES.join('; ')}`);
    return p;
  }
  if (name === 'capfCertificateIssuer') {
    if (v !== 'capf' && v !== 'online-ca') throw new EmulatorError('USAGE', 'certificate-issuer-to-endpoint is capf or online-ca');
    return v;
  }
  if (name === 'validityCheckFrequencyDays') {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new EmulatorError('USAGE', `validity-check-frequency is a whole number of days, not "${v}"`);
    return n;
  }
  if (v === 'true' || v === 'false') return v === 'true';
  throw new EmulatorError('USAGE', `${name} is true or false, not "${v}"`);
}

export function registerParam(program: Command, ctx: CliContext): void {
  const io = ctx.io;
  const param = program.command('param').description('enterprise parameters that change trust behaviour');
  withLabOptions(param.command('show').description('show the enterprise parameters'))
    .action(act(ctx, async (o: LabFlags) => {
      try {
        const { cluster } = await openCluster(o);
        if (o.json) printJson(io, cluster.state.params);
        else for (const [k, n] of Object.entries(NAMES)) io.out(`${k.padEnd(42)} ${String(cluster.state.params[n] ?? (n === 'capfCertificateIssuer' ? 'capf' : n === 'certificateValidityCheck' ? false : n === 'validityCheckFrequencyDays' ? 1 : ''))}\n`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
  withLabOptions(param.command('set').description(`set a parameter: ${Object.keys(NAMES).join(', ')}`).argument('<name>').argument('<value>'))
    .action(act(ctx, async (name: string, value: string, o: LabFlags) => {
      try {
        const key = NAMES[name.toLowerCase()];
        if (!key) throw new EmulatorError('USAGE', `unknown parameter "${name}"; use ${Object.keys(NAMES).join(', ')}`);
        const { cluster } = await openCluster(o);
        printResult(io, await cluster.setParam(key, parseValue(key, value) as never), o.json);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
}
