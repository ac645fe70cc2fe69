import type { Command } from 'commander';
import { revocationOf, type RevocationCheck, type RevocationSettings } from '../../cluster/index.js';
import { checkAndRecord } from '../../cluster/serve/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { act, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, reportError, type CliIo } from '../io.js';
import { openCluster, printResult, withLabOptions, type LabFlags } from '../lab-options.js';
import { table } from './cluster.js';

/**
 * `trustlab cert revocation show|set|check`: Cisco Unified OS Administration › Security ›
 * Certificate Revocation (14SU3+). `check` runs the checks now, as CUCM does on upload and on
 * schedule, and records each result; `show` prints the settings and the latest results.
 */
interface SetFlags extends LabFlags {
  ocsp?: string;
  ocspUriFrom?: string;
  ocspUri?: string;
  check?: string;
  every?: string;
  unit?: string;
  crl?: string;
  crlUri?: string;
}

/** `on`/`off` (also true/false, yes/no, enable/disable) as a check box; undefined stays undefined. */
export function onOff(v: string | undefined, what: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(on|true|yes|enable[d]?)$/i.test(v)) return true;
  if (/^(off|false|no|disable[d]?)$/i.test(v)) return false;
  throw new EmulatorError('USAGE', `${what} takes on or off, not "${v}"`);
}

function patchOf(o: SetFlags): Partial<RevocationSettings> {
  const p: Partial<RevocationSettings> = {};
  const ocsp = onOff(o.ocsp, '--ocsp');
  if (ocsp !== undefined) p.ocspEnabled = ocsp;
  if (o.ocspUriFrom !== undefined) {
    if (o.ocspUriFrom !== 'certificate' && o.ocspUriFrom !== 'configured') throw new EmulatorError('USAGE', `--ocsp-uri-from takes certificate or configured, not "${o.ocspUriFrom}"`);
    p.ocspUriSource = o.ocspUriFrom;
  }
  if (o.ocspUri !== undefined) {
    p.ocspConfiguredUri = o.ocspUri;
    p.ocspUriSource ??= 'configured';
  }
  const check = onOff(o.check, '--check');
  if (check !== undefined) p.revocationCheckEnabled = check;
  if (o.every !== undefined) {
    const n = Number(o.every);
    if (!Number.isInteger(n)) throw new EmulatorError('USAGE', `--every takes a whole number, not "${o.every}"`);
    p.checkEvery = n;
  }
  if (o.unit !== undefined) {
    if (o.unit !== 'hours' && o.unit !== 'days') throw new EmulatorError('USAGE', `--unit takes hours or days, not "${o.unit}"`);
    p.checkUnit = o.unit;
  }
  const crl = onOff(o.crl, '--crl');
  if (crl !== undefined) p.crlEnabled = crl;
  if (o.crlUri !== undefined) p.crlUri = o.crlUri;
  if (Object.keys(p).length === 0) throw new EmulatorError('USAGE', 'nothing to set: pass --ocsp, --ocsp-uri-from, --ocsp-uri, --check, --every, --unit, --crl or --crl-uri');
  return p;
}

function describeSettings(s: RevocationSettings): string[] {
  return [
    `Enable OCSP:             ${s.ocspEnabled ? 'yes' : 'no'}${s.ocspEnabled ? (s.ocspUriSource === 'configured' ? ` (Use Configured OCSP URI: ${s.ocspConfiguredUri})` : ' (Use OCSP URI from Certificate)') : ''}`,
    `Enable Revocation Check: ${s.revocationCheckEnabled ? `yes, every ${s.checkEvery} ${s.checkUnit}` : 'no'}`,
    `Enable CRL:              ${s.crlEnabled ? `yes (${s.crlUri})` : 'no'}`,
  ];
}

function printChecks(io: CliIo, checks: readonly RevocationCheck[]): void {
  if (checks.length === 0) {
    io.out('no revocation checks yet (CA-issued certificates are checked on upload, on schedule, and by `cert revocation check`)\n');
    return;
  }
  io.out(table(['NODE', 'CERTIFICATE', 'SUBJECT', 'STATUS', 'BY', 'CHECKED', 'DETAIL'], checks.map((c) => [
    c.node, c.where, c.subject.split(';')[0] ?? c.subject, c.status.toUpperCase(), c.by ?? '-', c.checkedAt.slice(0, 19), [c.code, c.message].filter(Boolean).join(': ') || '-',
  ])));
}


export function registerCertRevocation(cert: Command, ctx: CliContext): void {
  const io = ctx.io;
  const rev = cert.command('revocation').description('Certificate Revocation (14SU3+): OCSP and CRL settings, and the status of CA-issued certificates');

  withLabOptions(rev.command('show').description('the Certificate Revocation settings and the latest check of each certificate'))
    .action(act(ctx, async (o: LabFlags) => {
      try {
        const { cluster } = await openCluster(o);
        const s = revocationOf(cluster.state);
        const checks = cluster.state.revocationChecks ?? [];
        if (o.json) printJson(io, { settings: s, checks });
        else {
          for (const l of describeSettings(s)) io.out(`${l}\n`);
          printChecks(io, checks);
        }
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(rev.command('set').description('change the Certificate Revocation settings (refused before 14SU3)'))
    .option('--ocsp <on|off>', 'Enable OCSP')
    .option('--ocsp-uri-from <source>', 'certificate (the AIA OCSP URI) or configured')
    .option('--ocsp-uri <url>', 'OCSP Configured URI (implies --ocsp-uri-from configured)')
    .option('--check <on|off>', 'Enable Revocation Check')
    .option('--every <n>', 'check frequency')
    .option('--unit <unit>', 'hours or days')
    .option('--crl <on|off>', 'Enable CRL')
    .option('--crl-uri <url>', 'CRL Distribution Point URI')
    .action(act(ctx, async (o: SetFlags) => {
      try {
        const { cluster } = await openCluster(o);
        const r = await cluster.setRevocation(patchOf(o));
        printResult(io, r, o.json, { settings: revocationOf(cluster.state) });
        if (!o.json) for (const l of describeSettings(revocationOf(cluster.state))) io.out(`  ${l}\n`);
        return EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));

  withLabOptions(rev.command('check').description('check every CA-issued identity and trust certificate now (OCSP, else CRL) and record the results'))
    .action(act(ctx, async (o: LabFlags) => {
      try {
        const { lab, cluster } = await openCluster(o);
        const s = revocationOf(cluster.state);
        if (!s.ocspEnabled && !s.crlEnabled) throw new EmulatorError('USAGE', 'neither OCSP nor CRL is enabled; turn one on with `trustlab cert revocation set --ocsp on` (or --crl on --crl-uri URL)');
        const checks = await checkAndRecord(cluster, new Date(lab.clock.now()), 'manual');
        if (o.json) printJson(io, { checks });
        else printChecks(io, checks);
        return checks.some((c) => c.status !== 'good') ? EXIT.NEGATIVE : EXIT.OK;
      } catch (e) {
        return reportError(io, e, Boolean(o.json));
      }
    }));
}
