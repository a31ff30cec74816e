/** The self-managed certificate set: what is due when, and the next set. */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { caBundleOf, due, fromSecretData, nextBundle, notAfter, toSecretData, type CertBundle } from '../../src/certs/bundle.js';
import { parseDuration, selfCertSettings, type CertCliOptions } from '../../src/cli/serve-certs.js';

const SVC = { name: 'wasmgate', namespace: 'wg' };
const HOUR = 3_600_000;
const V = { servingMs: 10 * HOUR, caMs: 100 * HOUR, renewBeforeMs: 2 * HOUR };
const certs = (pem: string): number => pem.match(/BEGIN CERTIFICATE/g)?.length ?? 0;

describe('certificate bundle', () => {
  it('a fresh set is due for nothing; the serving pair falls due renewBefore its expiry, the CA likewise', async () => {
    const b = await nextBundle(undefined, 'invalid', V, SVC);
    const now = Date.now();
    expect(due(b, new Date(now), V, SVC)).toBe('none');
    expect(due(b, new Date(now + 7.5 * HOUR), V, SVC)).toBe('none');
    expect(due(b, new Date(now + 8.5 * HOUR), V, SVC)).toBe('serving');
    expect(due(b, new Date(now + 98.5 * HOUR), V, SVC)).toBe('ca');
    expect(new X509Certificate(b.cert).checkHost('wasmgate.wg.svc')).toBe('wasmgate.wg.svc');
    expect(due(b, new Date(now), V, { name: 'other', namespace: 'wg' })).toBe('serving');
  });

  it('renewing the serving pair keeps the CA; renewing the CA keeps trusting the previous one', async () => {
    const b = await nextBundle(undefined, 'invalid', V, SVC);
    const s = await nextBundle(b, 'serving', V, SVC);
    expect(s.caCert).toBe(b.caCert);
    expect(s.cert).not.toBe(b.cert);
    expect(due(s, new Date(), V, SVC)).toBe('none');
    const c = await nextBundle(b, 'ca', V, SVC);
    expect(certs(c.caCert)).toBe(2);
    expect(c.caCert).toContain(b.caCert.trim());
    expect(due(c, new Date(), V, SVC)).toBe('none');
    expect(notAfter(c.cert).getTime()).toBeGreaterThan(Date.now() + 9 * HOUR);
  });

  it('a set that does not hang together is invalid', async () => {
    const a = await nextBundle(undefined, 'invalid', V, SVC);
    const b = await nextBundle(undefined, 'invalid', V, SVC);
    expect(due({ ...a, cert: b.cert }, new Date(), V, SVC)).toBe('invalid');
    expect(due({ ...a, key: b.key }, new Date(), V, SVC)).toBe('invalid');
    expect(due({ ...a, cert: 'junk' } as CertBundle, new Date(), V, SVC)).toBe('invalid');
  });

  it('Secret data round-trips; a missing or non-PEM key reads as no set', async () => {
    const b = await nextBundle(undefined, 'invalid', V, SVC);
    const data = toSecretData(b);
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    expect(fromSecretData(data)).toEqual(b);
    const { 'ca.key': _k, ...partial } = data;
    expect(fromSecretData(partial)).toBeUndefined();
    expect(fromSecretData({ ...data, 'tls.crt': Buffer.from('nope').toString('base64') })).toBeUndefined();
    expect(fromSecretData(undefined)).toBeUndefined();
    expect(Buffer.from(caBundleOf(b), 'base64').toString()).toBe(b.caCert);
  });

  it('durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('8760h')).toBe(8760 * HOUR);
    expect(parseDuration('30d')).toBe(720 * HOUR);
    expect(() => parseDuration('1y')).toThrow('positive duration');
    expect(() => parseDuration('0s')).toThrow('positive duration');
  });
});

describe('serve --cert-mode self settings', () => {
  const base: CertCliOptions = {
    certMode: 'self',
    certService: 'wasmgate',
    certValidity: 10 * HOUR,
    certCaValidity: 100 * HOUR,
    certRenewBefore: 2 * HOUR,
    certCheckInterval: 60_000,
  };
  it('files mode needs nothing; self needs the Secret, the webhook configuration name and a namespace', () => {
    expect(selfCertSettings({ ...base, certMode: 'files' })).toBeUndefined();
    expect(() => selfCertSettings(base)).toThrow('--cert-mode self needs --cert-secret and --webhook-config');
    expect(() => selfCertSettings({ ...base, certSecret: 's', webhookConfig: 'w', certRenewBefore: 10 * HOUR })).toThrow(
      '--cert-renew-before must be shorter than --cert-validity',
    );
    expect(selfCertSettings({ ...base, certSecret: 's', webhookConfig: 'w', namespace: 'ns' })).toEqual({
      namespace: 'ns',
      secretName: 's',
      webhookConfigName: 'w',
      service: 'wasmgate',
      servingMs: 10 * HOUR,
      caMs: 100 * HOUR,
      renewBeforeMs: 2 * HOUR,
      checkIntervalMs: 60_000,
    });
  });
});
