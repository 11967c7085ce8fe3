{{/* Names ------------------------------------------------------------------------- */}}

{{- define "meterplane.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "meterplane.fullname" -}}
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

{{- define "meterplane.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels: call with (dict "ctx" $ "component" "api") */}}
{{- define "meterplane.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meterplane.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "meterplane.labels" -}}
helm.sh/chart: {{ include "meterplane.chart" .ctx }}
{{ include "meterplane.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: meterplane
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{- define "meterplane.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "meterplane.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "meterplane.secretName" -}}
{{- default (include "meterplane.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "meterplane.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "meterplane.dashboardImage" -}}
{{- printf "%s:%s" .Values.dashboardImage.repository (default .Chart.AppVersion .Values.dashboardImage.tag) }}
{{- end }}

{{/* PostgreSQL URL from values: call with (dict "pg" .Values.postgresql "user" .. "password" ..) */}}
{{- define "meterplane.postgresUrl" -}}
{{- /* urlquery writes a space as "+", which userinfo reads literally: use %20. */}}
{{- $user := urlquery .user | replace "+" "%20" }}
{{- $password := urlquery .password | replace "+" "%20" }}
{{- printf "postgres://%s:%s@%s:%v/%s" $user $password .pg.host .pg.port .pg.database }}
{{- with .pg.sslMode }}{{ printf "?sslmode=%s" . }}{{ end }}
{{- end }}

{{/* Environment of every app container (api, worker, migrate): call with (dict "ctx" $ "port" 4000) */}}
{{- define "meterplane.appEnv" -}}
{{- $v := .ctx.Values -}}
- name: NODE_ENV
  value: production
- name: HOST
  value: "0.0.0.0"
- name: PORT
  value: {{ .port | quote }}
- name: LOG_LEVEL
  value: {{ $v.config.logLevel | quote }}
- name: DATA_DIR
  value: /tmp/meterplane
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "meterplane.secretName" .ctx }}
      key: DATABASE_URL
- name: CLICKHOUSE_URL
  value: {{ $v.clickhouse.url | quote }}
- name: CLICKHOUSE_USER
  value: {{ $v.clickhouse.user | quote }}
- name: CLICKHOUSE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "meterplane.secretName" .ctx }}
      key: CLICKHOUSE_PASSWORD
- name: CLICKHOUSE_DATABASE
  value: {{ $v.clickhouse.database | quote }}
{{- with $v.clickhouse.cluster }}
- name: CLICKHOUSE_CLUSTER
  value: {{ . | quote }}
{{- end }}
- name: TEMPORAL_ADDRESS
  value: {{ $v.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ $v.temporal.namespace | quote }}
{{- if $v.temporal.tls.enabled }}
- name: TEMPORAL_TLS_CERT
  value: /etc/meterplane/temporal-tls/tls.crt
- name: TEMPORAL_TLS_KEY
  value: /etc/meterplane/temporal-tls/tls.key
{{- end }}
{{- with $v.config.temporalUiUrl }}
- name: TEMPORAL_UI_URL
  value: {{ . | quote }}
{{- end }}
- name: JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "meterplane.secretName" .ctx }}
      key: JWT_SECRET
- name: JWT_ISSUER
  value: {{ $v.config.jwtIssuer | quote }}
- name: JWT_AUDIENCE
  value: {{ $v.config.jwtAudience | quote }}
- name: JWT_TTL_SECONDS
  value: {{ $v.config.jwtTtlSeconds | quote }}
{{- with $v.config.corsOrigin }}
- name: CORS_ORIGIN
  value: {{ . | quote }}
{{- end }}
{{- with $v.config.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Volumes of every app pod: a writable /tmp (DATA_DIR) and the Temporal client certificate. */}}
{{- define "meterplane.appVolumes" -}}
- name: tmp
  emptyDir: {}
{{- if .Values.temporal.tls.enabled }}
- name: temporal-tls
  secret:
    secretName: {{ required "temporal.tls.existingSecret is required when temporal.tls.enabled is true" .Values.temporal.tls.existingSecret }}
{{- end }}
{{- end }}

{{- define "meterplane.appVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.temporal.tls.enabled }}
- name: temporal-tls
  mountPath: /etc/meterplane/temporal-tls
  readOnly: true
{{- end }}
{{- end }}

{{/* Scheduling and pod-level settings shared by every pod. */}}
{{- define "meterplane.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Pod template metadata: call with (dict "ctx" $ "component" "api") */}}
{{- define "meterplane.podMetadata" -}}
labels:
  {{- include "meterplane.selectorLabels" . | nindent 2 }}
  {{- with .ctx.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- $annotations := dict }}
{{- if not .ctx.Values.secrets.existingSecret }}
{{- /* Roll the pods when the chart-managed Secret changes. */}}
{{- $_ := set $annotations "checksum/secret" (include (print .ctx.Template.BasePath "/secret.yaml") .ctx | sha256sum) }}
{{- end }}
{{- $annotations = merge $annotations (.ctx.Values.podAnnotations | default dict) }}
{{- with $annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* topologySpreadConstraints with this component's selector filled in when missing. */}}
{{- define "meterplane.topologySpread" -}}
{{- $selector := include "meterplane.selectorLabels" . | fromYaml }}
{{- with .ctx.Values.topologySpreadConstraints }}
topologySpreadConstraints:
{{- range . }}
  - {{ toYaml (merge (deepCopy .) (dict "labelSelector" (dict "matchLabels" $selector))) | nindent 4 | trim }}
{{- end }}
{{- end }}
{{- end }}
