/** Encode a verdict as an admission.k8s.io/v1 AdmissionReview response. */
import { ADMISSION_API_VERSION } from './envelope.js';

export interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove' | 'test';
  path: string;
  value?: unknown;
}

/** What an AdmissionResponse says: the decision core's Decision, without its findings. */
export interface AdmissionVerdict {
  allowed: boolean;
  /** denial text, when not allowed */
  message?: string;
  warnings: string[];
  auditAnnotations: Record<string, string>;
  patch?: JsonPatchOp[];
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string };
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export function encodeResponse(uid: string, decision: AdmissionVerdict): AdmissionReviewResponse {
  const response: AdmissionResponse = { uid, allowed: decision.allowed };
  if (!decision.allowed) {
    response.status = { code: 403, reason: 'Forbidden', message: decision.message ?? 'denied by wasmgate' };
  }
  if (decision.patch !== undefined && decision.patch.length > 0) {
    response.patch = Buffer.from(JSON.stringify(decision.patch), 'utf8').toString('base64');
    response.patchType = 'JSONPatch';
  }
  if (decision.warnings.length > 0) response.warnings = decision.warnings;
  if (Object.keys(decision.auditAnnotations).length > 0) response.auditAnnotations = decision.auditAnnotations;
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}
