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

{{/*
What reads the Kubernetes API with the pod's service account token, or
nothing: the kubernetes section in-cluster (or a bearer_token file that is
the mounted token), expiry's TLS Secrets and velero backup targets without a
kubeconfig of their own, and --auto-shard (sharding), which reads its own
StatefulSet. The token is mounted only when this is not empty: an exporter
that only probes, reads clouds or reads files carries no credential for the
cluster it runs in.
*/}}
{{- define "vigil.apiToken" -}}
{{- $k := .Values.config.kubernetes | default dict }}
{{- $bt := $k.bearer_token | default dict }}
{{- if include "vigil.inCluster" . }}config.kubernetes
{{- else if and (kindIs "map" $bt) (hasPrefix "/var/run/secrets/kubernetes.io/serviceaccount/" (toString $bt.file)) }}config.kubernetes.bearer_token
{{- else if fromYamlArray (include "vigil.tlsSecretNamespaces" .) }}config.expiry.kubernetes_secrets
{{- else if fromYamlArray (include "vigil.veleroNamespaces" .) }}config.backup (velero)
{{- else if .Values.sharding.enabled }}sharding
{{- end }}
{{- end }}

{{/* automountServiceAccountToken: serviceAccount.automountToken, or auto. */}}
{{- define "vigil.automountToken" -}}
{{- $set := .Values.serviceAccount.automountToken }}
{{- if kindIs "bool" $set }}
{{- $set }}
{{- else if eq (toString $set) "auto" }}
{{- if include "vigil.apiToken" . }}true{{ else }}false{{ end }}
{{- else }}
{{- fail (printf "serviceAccount.automountToken %q: want auto (mount the token only while a collector reads the Kubernetes API with it), true or false" (toString $set)) }}
{{- end }}
{{- end }}

{{/*
Combinations of values that would deploy something broken, refused with the
value to change. Included once, by deployment.yaml.
*/}}
{{- define "vigil.checks" -}}
{{- $replicas := int .Values.replicaCount }}
{{- $pvc := .Values.storage.persistentVolumeClaim }}
{{- if and (gt $replicas 1) $pvc.enabled }}
{{- fail "replicaCount > 1 with storage.persistentVolumeClaim: the replicas cannot share a ReadWriteOnce volume; keep the emptyDir (each replica keeps its own snapshots)" }}
{{- end }}
{{- if lt $replicas 1 }}
{{- fail "replicaCount must be 1 or more" }}
{{- end }}
{{- if and .Values.awsCredentials.roleArn .Values.awsCredentials.existingSecret }}
{{- fail "awsCredentials: set roleArn (EKS) or existingSecret (an access key), not both: the SDK would use the key and ignore the role" }}
{{- end }}
{{- if not (hasPrefix "/" (toString .Values.telemetryPath)) }}
{{- fail (printf "telemetryPath %q: want the URL path Vigil serves its metrics under, starting with / (default /metrics)" (toString .Values.telemetryPath)) }}
{{- end }}
{{- range .Values.extraArgs }}
{{- if regexMatch "^--web\\.telemetry-path(=|$)" (toString .) }}
{{- fail (printf "extraArgs %q: set telemetryPath instead, so the ServiceMonitor scrapes the path Vigil serves" (toString .)) }}
{{- end }}
{{- /* --pod and --pod-namespace too (kingpin also reads --no-auto-shard):
--pod=<name>-0 would make every shard shard 0, so its share, the nodes and
the clouds would be exported by every shard and the others' by none. */}}
{{- if regexMatch "^--(no-)?(shard|total-shards|auto-shard|pod|pod-namespace)(=|$)" (toString .) }}
{{- fail (printf "extraArgs %q: the sharding flags are the chart's; set sharding.enabled=true and sharding.shards instead (a StatefulSet whose replicas take their shard from their pod name with --auto-shard)" (toString .)) }}
{{- end }}
{{- end }}
{{- if .Values.sharding.enabled }}
{{- $shards := int .Values.sharding.shards }}
{{- if lt $shards 2 }}
{{- fail (printf "sharding.shards=%v: want 2 or more (one shard is the Deployment: set sharding.enabled=false)" .Values.sharding.shards) }}
{{- end }}
{{- if gt $replicas 1 }}
{{- fail (printf "sharding.enabled with replicaCount=%d: the shards are the replicas, each exporting its own share; set replicaCount=1 and the shard count in sharding.shards" $replicas) }}
{{- end }}
{{- if not .Values.config.kubernetes }}
{{- fail "sharding.enabled without config.kubernetes: sharding splits only the cluster collector's pods, workloads and HPAs, and every other collector runs on shard 0 alone; set config.kubernetes, or sharding.enabled=false" }}
{{- end }}
{{- if and $pvc.enabled $pvc.existingClaim }}
{{- fail "sharding.enabled with storage.persistentVolumeClaim.existingClaim: one ReadWriteOnce claim cannot be mounted by every shard; leave existingClaim empty and each shard gets its own claim from the StatefulSet's volumeClaimTemplates" }}
{{- end }}
{{- end }}
{{- end }}
