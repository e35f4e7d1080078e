{{/* The chart's name. */}}
{{- define "vigil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of every object: the release name, with "-vigil" unless it
already says vigil (prometheus-community's convention).
*/}}
{{- define "vigil.fullname" -}}
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

{{- define "vigil.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels. app.kubernetes.io/name stays "vigil" whatever the release is
called: the ServiceMonitor makes it the job label, and the alerts about Vigil
itself select job="vigil".
*/}}
{{- define "vigil.selectorLabels" -}}
app.kubernetes.io/name: vigil
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vigil.labels" -}}
helm.sh/chart: {{ include "vigil.chart" . }}
{{ include "vigil.selectorLabels" . }}
app.kubernetes.io/version: {{ include "vigil.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vigil
{{- end }}

{{- define "vigil.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vigil.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "vigil.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/* repository@digest when a digest is given (immutable), else repository:tag. */}}
{{- define "vigil.image" -}}
{{- if .Values.image.digest }}
{{- if not (hasPrefix "sha256:" .Values.image.digest) }}
{{- fail (printf "image.digest %q: want sha256:<64 hex digits>, as `make image` prints it" .Values.image.digest) }}
{{- end }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "vigil.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
vigil.yml: config.environment first, then every non-empty section in name
order. Empty sections are left out: Vigil refuses a section with nothing in it.
*/}}
{{- define "vigil.config" -}}
{{- $cfg := .Values.config }}
{{- if not $cfg.environment }}
{{- fail "config.environment is empty: set it to the environment label of every series (dev, staging, production)" }}
{{- end }}
environment: {{ $cfg.environment | quote }}
{{- range $key := keys $cfg | sortAlpha }}
{{- $section := index $cfg $key }}
{{- if and (ne $key "environment") $section }}
{{- if not (kindIs "map" $section) }}
{{- fail (printf "config.%s: want a mapping (the %s section of vigil.yml, see examples/vigil.yml), got %s" $key $key (kindOf $section)) }}
{{- end }}
{{ $key }}:
{{- toYaml $section | nindent 2 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Whether Vigil reads the cluster it runs in with its service account: a
kubernetes section with neither kubeconfig nor server.
*/}}
{{- define "vigil.inCluster" -}}
{{- $k := .Values.config.kubernetes }}
{{- if and $k (not $k.kubeconfig) (not $k.server) }}true{{ end }}
{{- end }}

{{/* The namespaces whose TLS Secrets the expiry collector reads in-cluster. */}}
{{- define "vigil.tlsSecretNamespaces" -}}
{{- $e := .Values.config.expiry | default dict }}
{{- $ks := $e.kubernetes_secrets | default dict }}
{{- if not $ks.kubeconfig }}
{{- toYaml ($ks.namespaces | default list) }}
{{- else }}
{{- toYaml list }}
{{- end }}
{{- end }}

{{/*
The namespaces of the backup collector's velero targets that read the cluster
Vigil runs in (no kubeconfig of their own), each once.
*/}}
{{- define "vigil.veleroNamespaces" -}}
{{- $b := .Values.config.backup | default dict }}
{{- $out := list }}
{{- range ($b.targets | default list) }}
{{- if and (eq (toString .kind) "velero") (not .kubeconfig) }}
{{- $out = append $out (.namespace | default "velero") }}
{{- end }}
{{- end }}
{{- toYaml ($out | uniq) }}
{{- end }}
