{{- define "wasmgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "wasmgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "wasmgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wasmgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "wasmgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "wasmgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The Secret wasmgate keeps its CA and serving pair in (certificates.mode=self). */}}
{{- define "wasmgate.selfCertSecret" -}}
{{- printf "%s-certs" (include "wasmgate.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Secret mounted at /certs (cert-manager and secret modes). */}}
{{- define "wasmgate.tlsSecret" -}}
{{- if eq .Values.certificates.mode "secret" }}
{{- required "certificates.secret.name is required with certificates.mode=secret" .Values.certificates.secret.name }}
{{- else }}
{{- printf "%s-tls" (include "wasmgate.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* The caBundle the chart renders (self: the CA already in wasmgate's Secret, so upgrades do not churn it). */}}
{{- define "wasmgate.caBundle" -}}
{{- if eq .Values.certificates.mode "secret" }}
{{- required "certificates.secret.caBundle is required with certificates.mode=secret" .Values.certificates.secret.caBundle }}
{{- else if eq .Values.certificates.mode "self" }}
{{- $s := lookup "v1" "Secret" .Release.Namespace (include "wasmgate.selfCertSecret" .) }}
{{- if and $s $s.data (index $s.data "ca.crt") }}
{{- index $s.data "ca.crt" }}
{{- end }}
{{- end }}
{{- end }}
