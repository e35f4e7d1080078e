{{/*
The pod template of the Deployment (deployment.yaml) and of the sharded
StatefulSet (statefulset.yaml): one template, so the two modes run the same
pod apart from what sharding adds (--auto-shard, POD_NAME and POD_NAMESPACE,
the data volume from volumeClaimTemplates).
*/}}
{{- define "vigil.podTemplate" -}}
metadata:
  labels:
    {{- include "vigil.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # A changed configuration rolls the pod.
    checksum/config: {{ include "vigil.config" . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "vigil.serviceAccountName" . }}
  # Only while a collector or --auto-shard reads the Kubernetes API with
  # this service account (serviceAccount.automountToken: auto).
  automountServiceAccountToken: {{ include "vigil.automountToken" . }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: vigil
      image: {{ include "vigil.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - --config.file=/etc/vigil/vigil.yml
        - --storage.path={{ .Values.storage.path }}
        # The ServiceMonitor scrapes the same path (telemetryPath).
        - {{ printf "--web.telemetry-path=%s" .Values.telemetryPath | quote }}
        {{- if .Values.sharding.enabled }}
        # Shard from the pod's ordinal, shard count from the StatefulSet's
        # replicas.
        - --auto-shard
        {{- end }}
        {{- if .Values.webConfig.enabled }}
        - --web.config.file=/etc/vigil/web/web-config.yml
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      ports:
        - name: http-metrics
          containerPort: 9477
          protocol: TCP
      {{- if or .Values.secretEnv .Values.awsCredentials.existingSecret .Values.sharding.enabled }}
      env:
        {{- if .Values.sharding.enabled }}
        # --auto-shard's --pod and --pod-namespace.
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        {{- end }}
        # Secrets only by reference, from Secrets that exist already.
        {{- range .Values.secretEnv }}
        - name: {{ .name }}
          valueFrom:
            secretKeyRef:
              name: {{ .secretName }}
              key: {{ .key }}
              optional: {{ .optional | default false }}
        {{- end }}
        {{- with .Values.awsCredentials.existingSecret }}
        - name: AWS_ACCESS_KEY_ID
          valueFrom:
            secretKeyRef:
              name: {{ . }}
              key: {{ $.Values.awsCredentials.accessKeyIDKey }}
        - name: AWS_SECRET_ACCESS_KEY
          valueFrom:
            secretKeyRef:
              name: {{ . }}
              key: {{ $.Values.awsCredentials.secretAccessKeyKey }}
        {{- end }}
      {{- end }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      {{- if .Values.webConfig.enabled }}
      # With basic auth the kubelet's HTTP probes would get 401.
      livenessProbe:
        tcpSocket:
          port: http-metrics
        initialDelaySeconds: 5
        periodSeconds: 10
        timeoutSeconds: 5
        failureThreshold: 3
      readinessProbe:
        tcpSocket:
          port: http-metrics
        periodSeconds: 5
        timeoutSeconds: 5
        failureThreshold: 3
      {{- else }}
      livenessProbe:
        httpGet:
          path: /-/healthy
          port: http-metrics
        initialDelaySeconds: 5
        periodSeconds: 10
        timeoutSeconds: 5
        failureThreshold: 3
      readinessProbe:
        # Ready once the first refresh of every source has finished.
        httpGet:
          path: /-/ready
          port: http-metrics
        periodSeconds: 5
        timeoutSeconds: 5
        failureThreshold: 3
      {{- end }}
      volumeMounts:
        - name: config
          mountPath: /etc/vigil
          readOnly: true
        # The root filesystem is read-only: /tmp and the storage path are
        # the only writable places.
        - name: tmp
          mountPath: /tmp
        - name: data
          mountPath: {{ .Values.storage.path }}
        {{- if .Values.webConfig.enabled }}
        - name: web-config
          mountPath: /etc/vigil/web
          readOnly: true
        {{- end }}
        {{- range .Values.secretMounts }}
        - name: {{ .name }}
          mountPath: {{ .mountPath }}
          readOnly: true
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "vigil.fullname" . }}-config
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if not (and .Values.sharding.enabled .Values.storage.persistentVolumeClaim.enabled) }}
    {{- /* Sharded with a claim: the StatefulSet's volumeClaimTemplates. */}}
    - name: data
      {{- if .Values.storage.persistentVolumeClaim.enabled }}
      persistentVolumeClaim:
        claimName: {{ .Values.storage.persistentVolumeClaim.existingClaim | default (printf "%s-data" (include "vigil.fullname" .)) }}
      {{- else }}
      emptyDir:
        {{- toYaml .Values.storage.emptyDir | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- if .Values.webConfig.enabled }}
    - name: web-config
      secret:
        secretName: {{ .Values.webConfig.existingSecret }}
        defaultMode: 0440
        # Only what Vigil serves with: the plaintext password and the CA
        # are for Prometheus and stay out of Vigil's filesystem.
        items:
          - {key: web-config.yml, path: web-config.yml}
          - {key: tls.crt, path: tls.crt}
          - {key: tls.key, path: tls.key}
    {{- end }}
    {{- range .Values.secretMounts }}
    - name: {{ .name }}
      secret:
        secretName: {{ .secretName }}
        defaultMode: 0440
        {{- with .items }}
        items:
          {{- toYaml . | nindent 10 }}
        {{- end }}
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- else }}
  {{- if gt (int .Values.replicaCount) 1 }}
  # Replicas on different nodes where the scheduler can: a drain of one
  # node never takes them all.
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels:
                {{- include "vigil.selectorLabels" . | nindent 16 }}
  {{- end }}
  {{- end }}
{{- end }}
