import { Type } from '@sinclair/typebox';
import { certOf, revocationOf, type RevocationSettings } from '../../cluster/index.js';
import { crlUrlOf, enterpriseOf, issuerOf, noteRevoked, readLabCa, updateLabCa } from '../../cluster/lab-ca.js';
import { checkAndRecord } from '../../cluster/serve/index.js';
import { isIssuedBy, parseCertificate } from '../../pki/index.js';
import { CRL_REASON_NAMES, type CrlReasonName } from '../../revocation/index.js';
import { EmulatorError } from '../../shared/errors.js';
import { applyOp, durationMs } from './common.js';
import { defineStep } from './registry.js';
import { CertRef, ClusterName, Duration, Enum, FleetName, Obj, Opt, Str } from './schemas.js';

/**
 * Certificate monitoring and revocation (issue 16): the Certificate Monitor page and its service,
 * the Certificate Revocation page and Common Criteria mode, and the lab CA revoking a
 * certificate. The monitor and the scheduled checks run on the simulated clock (`advance`);
 * mail goes to the run's own SMTP sink.
 */
/** A duration as the pages take a frequency: whole days, else hours. */
function everyOf(duration: string): { every: number; unit: 'hours' | 'days' } {
  const ms = durationMs(duration);
  return ms % 86_400_000 === 0 ? { every: ms / 86_400_000, unit: 'days' } : { every: Math.max(1, Math.round(ms / 3_600_000)), unit: 'hours' };
}

export const monitor = defineStep({
  name: 'monitor',
  summary: 'Certificate Monitor settings (Notification Start Time and Frequency, e-mail, LSC monitoring) and the Cisco Certificate Expiry Monitor service.',
  args: Obj({
    cluster: ClusterName,
    'start-days': Opt(Type.Integer({ minimum: 1, maximum: 3650, description: 'Notification Start Time: days before expiry' })),
    every: Opt(Duration),
    email: Opt(Type.Array(Str('an address'), { minItems: 1, description: 'Enable E-mail notification to these E-mail IDs (the run\'s SMTP sink receives them)' })),
    lsc: Opt(Type.Boolean({ description: 'Enable LSC Monitoring' })),
    service: Opt(Enum(['stop', 'start', 'restart'] as const, 'utils service … "Cisco Certificate Expiry Monitor"')),
  }),
  example: { cluster: 'A', 'start-days': 30, every: '1d', email: ['voice@example.com'] },
  run: async (ctx, a) => {
    const c = ctx.requireCluster(a.cluster).cluster;
    const out: string[] = [];
    const patch: Record<string, unknown> = {};
    if (a['start-days'] !== undefined) patch['notificationStartDays'] = a['start-days'];
    if (a.every !== undefined) {
      patch['notificationFrequency'] = everyOf(a.every);
    }
    if (a.email) Object.assign(patch, { emailEnabled: true, emailIds: a.email, smtp: { host: '127.0.0.1', port: ctx.smtpAddress!.port, from: `cucm@${a.cluster}.lab.example` } });
    if (a.lsc !== undefined) patch['lscMonitoring'] = a.lsc;
    if (Object.keys(patch).length) out.push(...(await applyOp(ctx, a.cluster, await c.setCertMonitor(patch))));
    if (a.service) out.push(...(await applyOp(ctx, a.cluster, await c.controlCertMonitor(a.service))));
    if (out.length === 0) throw new EmulatorError('INVALID_ARGUMENT', 'the monitor step changes nothing: give start-days, every, email, lsc or service');
    return out;
  },
});

export const revocation = defineStep({
  name: 'revocation',
  summary: 'Certificate Revocation settings (14SU3+): Enable OCSP (URI from the certificate or configured), Enable Revocation Check and its frequency, Enable CRL; and Common Criteria mode.',
  args: Obj({
    cluster: ClusterName,
    ocsp: Opt(Type.Boolean({ description: 'Enable OCSP' })),
    'ocsp-uri': Opt(Str('OCSP Configured URI (Use Configured OCSP URI); without it, the URI from the certificate')),
    check: Opt(Type.Union([Duration, Type.Literal(false)], { description: 'Enable Revocation Check every this long (hours or days), or false' })),
    crl: Opt(Type.Union([Type.Literal(false), Str('the CRL Distribution Point URI, or "lab-ca" for the lab CA\'s issuing CRL')])),
    'common-criteria': Opt(Type.Boolean({ description: 'utils fips_common_criteria enable|disable' })),
  }),
  example: { cluster: 'A', ocsp: true, check: '12h', 'common-criteria': true },
  run: async (ctx, a) => {
    const c = ctx.requireCluster(a.cluster).cluster;
    const patch: Partial<RevocationSettings> = {};
    if (a.ocsp !== undefined) patch.ocspEnabled = a.ocsp;
    if (a['ocsp-uri'] !== undefined) Object.assign(patch, { ocspUriSource: 'configured', ocspConfiguredUri: a['ocsp-uri'] });
    if (a.check === false) patch.revocationCheckEnabled = false;
    else if (a.check !== undefined) {
      const f = everyOf(a.check);
      Object.assign(patch, { revocationCheckEnabled: true, checkEvery: f.every, checkUnit: f.unit });
    }
    if (a.crl === false) patch.crlEnabled = false;
    else if (a.crl !== undefined) {
      const url = a.crl === 'lab-ca' ? crlUrlOf(await readLabCa(ctx.lab.dir), enterpriseOf(ctx.lab).issuing) : a.crl;
      Object.assign(patch, { crlEnabled: true, crlUri: url });
    }
    const out: string[] = [];
    if (Object.keys(patch).length) out.push(...(await applyOp(ctx, a.cluster, await c.setRevocation(patch))));
    if (a['common-criteria'] !== undefined) out.push(...(await applyOp(ctx, a.cluster, await c.setCommonCriteria(a['common-criteria']))));
    if (out.length === 0) throw new EmulatorError('INVALID_ARGUMENT', 'the revocation step changes nothing: give ocsp, ocsp-uri, check, crl or common-criteria');
    const s = revocationOf(c.state);
    if (s.ocspEnabled || s.crlEnabled) {
      const checks = await checkAndRecord(c, new Date(ctx.clock.now()), 'manual');
      out.push(`${a.cluster}: ${checks.length} certificate(s) checked: ${checks.map((k) => `${k.node} ${k.where} ${k.status}`).join(', ') || 'none a CA issued'}`);
    }
    return out;
  },
});

export const revoke = defineStep({
  name: 'revoke',
  summary: 'The lab CA revokes a certificate it issued (a CA-signed identity, or the LSCs the online CA issued to a fleet); its OCSP answer becomes "revoked" and its CRL lists it.',
  args: Obj({
    cert: Opt(CertRef),
    lsc: Opt(Obj({ cluster: ClusterName, fleet: FleetName, count: Opt(Type.Integer({ minimum: 1, description: 'only the first N phones' })) }, 'the LSCs CUCM holds for a fleet\'s devices')),
    reason: Opt(Enum(CRL_REASON_NAMES, 'the CRL reason (RFC 5280 §5.3.1)')),
  }),
  example: { lsc: { cluster: 'A', fleet: 'phones' }, reason: 'keyCompromise' },
  run: async (ctx, a) => {
    const reason = (a.reason ?? 'unspecified') as CrlReasonName;
    const pems: string[] = [];
    if (a.cert) pems.push(ctx.certificate(a.cert));
    if (a.lsc) {
      const f = ctx.requireFleet(a.lsc.fleet).phones.slice(0, a.lsc.count);
      const devices = ctx.requireCluster(a.lsc.cluster).cluster.state.devices;
      for (const p of f) {
        const lsc = devices.find((d) => d.name === p.device)?.lscPem;
        if (lsc) pems.push(lsc);
      }
      if (pems.length === 0) throw new EmulatorError('CERT_NOT_FOUND', `${a.lsc.cluster} holds no LSC for the phones of ${a.lsc.fleet}; enrol them (CAPF install) first`);
    }
    if (pems.length === 0) throw new EmulatorError('INVALID_ARGUMENT', 'revoke needs cert or lsc');
    const at = new Date(ctx.clock.now());
    const lines: string[] = [];
    await updateLabCa(ctx.lab.dir, 'scenario: revoke', (j) => {
      for (const pem of pems) {
        const c = parseCertificate(pem);
        const ca = issuerOf(ctx.lab, c, isIssuedBy);
        if (!ca) throw new EmulatorError('CA_NOT_ISSUER', `${c.subjectCucm} was not issued by the lab CA (issuer ${c.issuerCucm})`);
        noteRevoked(j, ca, c.serialHex, at, reason);
        lines.push(`lab CA revoked ${certOf(pem).subjectCucm} (serial ${c.serialHex}), ${reason}`);
      }
    });
    return lines;
  },
});

export const REVOCATION_STEPS = [monitor, revocation, revoke] as const;
