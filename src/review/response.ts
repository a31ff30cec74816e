/** Encode a Decision as an admission.k8s.io/v1 AdmissionReview response. */
import type { Decision } from '../rules/types.js';
import { ADMISSION_API_VERSION } from './envelope.js';

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

export function encodeResponse(uid: string, decision: Omit<Decision, 'findings'>): AdmissionReviewResponse {
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
