/**
 * AdmissionReview envelope: decode and check, nothing else. A dedicated Ajv with no coercion, no
 * defaults and no removal checks the envelope's shape only; request.object is never rewritten
 * (a typed round trip would drop fields the API server knows and we do not).
 */
import { Ajv, type ErrorObject } from 'ajv';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** The slice of an admission.k8s.io/v1 AdmissionRequest that wasmgate reads (checked by the schema below). */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  name?: string;
  namespace?: string;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}
/** Kubernetes UIDs are 36 characters; this leaves slack and keeps an echoed uid small. */
export const MAX_UID_LENGTH = 128;

const groupVersionKind = {
  type: 'object',
  required: ['group', 'version', 'kind'],
  properties: {
    group: { type: 'string' },
    version: { type: 'string' },
    kind: { type: 'string', minLength: 1 },
  },
};

const admissionReviewSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'request'],
  properties: {
    apiVersion: { const: ADMISSION_API_VERSION },
    kind: { const: 'AdmissionReview' },
    request: {
      type: 'object',
      required: ['uid', 'kind', 'operation'],
      properties: {
        uid: { type: 'string', minLength: 1, maxLength: MAX_UID_LENGTH },
        kind: groupVersionKind,
        resource: {
          type: 'object',
          required: ['group', 'version', 'resource'],
          properties: { group: { type: 'string' }, version: { type: 'string' }, resource: { type: 'string' } },
        },
        subResource: { type: 'string' },
        operation: { enum: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] },
        name: { type: 'string' },
        namespace: { type: 'string' },
        object: { type: ['object', 'null'] },
        oldObject: { type: ['object', 'null'] },
        dryRun: { type: 'boolean' },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: true });
const check = ajv.compile(admissionReviewSchema);

export class EnvelopeError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

function describe(err: ErrorObject | undefined): string {
  if (err === undefined) return 'it does not match the AdmissionReview schema';
  const where = err.instancePath === '' ? 'the body' : err.instancePath.slice(1).replaceAll('/', '.');
  if (err.keyword === 'required')
    return `${where === 'the body' ? '' : `${where}.`}${(err.params as { missingProperty: string }).missingProperty} is missing`;
  if (err.keyword === 'const') return `${where} must be ${JSON.stringify((err.params as { allowedValue: unknown }).allowedValue)}`;
  if (err.keyword === 'enum') return `${where} must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return `${where} ${err.message ?? 'is invalid'}`;
}

/** EnvelopeError(400) for a body that is not JSON, from the parser's error. */
export function notJson(err: unknown): EnvelopeError {
  return new EnvelopeError(400, `the body is not valid JSON: ${(err as Error).message}`);
}

/** Parse a body (already read as text) into an AdmissionRequest, or throw EnvelopeError(400). */
export function decodeReview(body: string): AdmissionRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw notJson(err);
  }
  return reviewRequest(parsed);
}

/** The request of a parsed AdmissionReview, or throw EnvelopeError(400). */
export function reviewRequest(parsed: unknown): AdmissionRequest {
  if (!check(parsed)) {
    throw new EnvelopeError(400, `the body is not an admission.k8s.io/v1 AdmissionReview: ${describe(check.errors?.[0])}`);
  }
  return (parsed as { request: AdmissionRequest }).request;
}
