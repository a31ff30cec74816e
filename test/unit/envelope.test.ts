import { describe, it, expect } from 'vitest';
import { EnvelopeError, decodeReview } from '../../src/review/envelope.js';
import { podObject, review } from '../harness/fixtures.js';

function body(mutate: (r: Record<string, any>) => void = () => {}): string {
  const r = structuredClone(review(podObject({ annotations: { 'wasmgate.dev/runtime': 'wasmtime' } }))) as Record<string, any>;
  mutate(r);
  return JSON.stringify(r);
}

function envelopeError(text: string): EnvelopeError {
  try {
    decodeReview(text);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvelopeError);
    return err as EnvelopeError;
  }
  throw new Error('expected an EnvelopeError, nothing was thrown');
}

describe('decodeReview: valid', () => {
  it('returns the request', () => {
    const req = decodeReview(body());
    expect(req.operation).toBe('CREATE');
    expect(req.kind).toEqual({ group: '', version: 'v1', kind: 'Pod' });
    expect(req.uid).toMatch(/^00000000-/);
    expect(req.object).toEqual(podObject({ annotations: { 'wasmgate.dev/runtime': 'wasmtime' } }));
  });

  it('keeps the request exactly as sent: unknown fields, strings that look like numbers', () => {
    const text = body((r) => {
      r['request']['object']['spec']['replicas'] = '3';
      r['request']['object']['spec']['someFutureField'] = { a: [1, '1', null, true] };
      r['request']['object']['metadata']['managedFields'] = [{ manager: 'm', fieldsV1: { 'f:spec': {} } }];
      r['request']['userInfo'] = { username: 'alice', groups: ['dev'] };
      r['request']['options'] = { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' };
      r['request']['requestKind'] = { group: '', version: 'v1', kind: 'Pod' };
      r['extraTopLevel'] = 'kept?';
    });
    const req = decodeReview(text) as unknown as Record<string, any>;
    expect(req).toEqual(JSON.parse(text)['request']);
    expect(req['object']['spec']['replicas']).toBe('3');
    expect(typeof req['object']['spec']['replicas']).toBe('string');
    expect(req['object']['spec']['someFutureField']).toEqual({ a: [1, '1', null, true] });
    expect(req['userInfo']).toEqual({ username: 'alice', groups: ['dev'] });
    expect(req['object']['metadata']['managedFields']).toHaveLength(1);
  });

  it('does not coerce: dryRun as a string is refused rather than turned into a boolean', () => {
    const e = envelopeError(body((r) => (r['request']['dryRun'] = 'true')));
    expect(e.message).toContain('request.dryRun');
  });

  it('accepts object: null and oldObject (DELETE)', () => {
    const req = decodeReview(
      body((r) => {
        r['request']['operation'] = 'DELETE';
        r['request']['oldObject'] = r['request']['object'];
        r['request']['object'] = null;
      }),
    );
    expect(req.object).toBeNull();
    expect(req.oldObject).toMatchObject({ kind: 'Pod' });
  });

  it.each(['CREATE', 'UPDATE', 'DELETE', 'CONNECT'])('accepts operation %s', (op) => {
    expect(decodeReview(body((r) => (r['request']['operation'] = op))).operation).toBe(op);
  });
});

describe('decodeReview: invalid → EnvelopeError 400 naming the problem', () => {
  it.each([
    ['not JSON', 'not json {', ['not valid JSON']],
    ['empty body', '', ['not valid JSON']],
    ['JSON null', 'null', ['not an admission.k8s.io/v1 AdmissionReview']],
    ['a JSON array', '[]', ['AdmissionReview']],
    ['wrong apiVersion (v1beta1)', body((r) => (r['apiVersion'] = 'admission.k8s.io/v1beta1')), ['apiVersion', 'admission.k8s.io/v1']],
    ['wrong kind', body((r) => (r['kind'] = 'TokenReview')), ['kind', 'AdmissionReview']],
    ['missing apiVersion', body((r) => delete r['apiVersion']), ['apiVersion is missing']],
    ['missing request', body((r) => delete r['request']), ['request is missing']],
    ['request not an object', body((r) => (r['request'] = 'x')), ['request']],
    ['missing uid', body((r) => delete r['request']['uid']), ['request.uid is missing']],
    ['empty uid', body((r) => (r['request']['uid'] = '')), ['request.uid']],
    ['numeric uid', body((r) => (r['request']['uid'] = 42)), ['request.uid']],
    ['missing kind', body((r) => delete r['request']['kind']), ['request.kind is missing']],
    ['kind without kind', body((r) => delete r['request']['kind']['kind']), ['request.kind.kind is missing']],
    ['missing operation', body((r) => delete r['request']['operation']), ['request.operation is missing']],
    ['bad operation', body((r) => (r['request']['operation'] = 'PATCH')), ['request.operation', 'CREATE, UPDATE, DELETE, CONNECT']],
    ['lower-case operation', body((r) => (r['request']['operation'] = 'create')), ['request.operation']],
    ['object is an array', body((r) => (r['request']['object'] = [1, 2])), ['request.object']],
    ['object is a string', body((r) => (r['request']['object'] = 'pod')), ['request.object']],
    ['oldObject is an array', body((r) => (r['request']['oldObject'] = [])), ['request.oldObject']],
    ['namespace not a string', body((r) => (r['request']['namespace'] = 7)), ['request.namespace']],
  ])('%s', (_name, text, mentions) => {
    const e = envelopeError(text);
    expect(e.statusCode).toBe(400);
    for (const m of mentions) expect(e.message).toContain(m);
  });
});
