{{/* Names */}}
{{- define "writeback.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "writeback.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<name or component>", e.g. writeback-policy-gate, writeback-executor-corp. */}}
{{- define "writeback.componentName" -}}
{{- printf "%s-%s" (include "writeback.fullname" .root) (default .component .name) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "writeback.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "writeback.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Labels. Call with (dict "root" $ "component" "policy-gate" ["domain" "corp"]). */}}
{{- define "writeback.selectorLabels" -}}
app.kubernetes.io/name: {{ include "writeback.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- if .domain }}
writeback.io/domain: {{ .domain }}
{{- end }}
{{- end -}}

{{- define "writeback.labels" -}}
{{ include "writeback.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: writeback
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Images: a tag `latest` (or none) is refused; a digest wins over the tag. */}}
{{- define "writeback.imageRef" -}}
{{- $tag := toString (default .defaultTag .image.tag) -}}
{{- if eq $tag "latest" -}}
{{- fail (printf "%s: the tag `latest` is refused; pin a version or a digest" .name) -}}
{{- end -}}
{{- if .image.digest -}}
{{- printf "%s/%s@%s" .image.registry .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s/%s:%s" .image.registry .image.repository (required (printf "%s.tag is required" .name) $tag) -}}
{{- end -}}
{{- end -}}

{{- define "writeback.image" -}}
{{- include "writeback.imageRef" (dict "image" .Values.image "defaultTag" .Chart.AppVersion "name" "image") -}}
{{- end -}}

{{/* Required settings, checked once with the message an operator needs. */}}
{{- define "writeback.validate" -}}
{{- $_ := required "database.existingSecret is required: the name of an existing Secret holding the PostgreSQL URL" .Values.database.existingSecret -}}
{{- if not .Values.kafka.brokers -}}
{{- fail "kafka.brokers is required: the bootstrap brokers of your Kafka cluster" -}}
{{- end -}}
{{- if not .Values.executors.domains -}}
{{- fail "executors.domains is required: one entry per AD domain (domain, keySecret, bindPasswordSecret, dcCidrs)" -}}
{{- end -}}
{{- if .Values.kafka.sasl.mechanism -}}
{{- $_ := required "kafka.sasl.existingSecret is required with kafka.sasl.mechanism" .Values.kafka.sasl.existingSecret -}}
{{- end -}}
{{- if and (not .Values.kafka.tls.enabled) .Values.kafka.tls.existingSecret -}}
{{- fail "kafka.tls.existingSecret is set but kafka.tls.enabled is false" -}}
{{- end -}}
{{- /* One of the two would silently fall back to server-only TLS, and the brokers would refuse the clients. */ -}}
{{- if ne (empty .Values.kafka.tls.certKey) (empty .Values.kafka.tls.keyKey) -}}
{{- fail "kafka.tls.certKey and kafka.tls.keyKey go together: set both for mutual TLS, or neither" -}}
{{- end -}}
{{- if and .Values.kafka.tls.certKey (not (and .Values.kafka.tls.enabled .Values.kafka.tls.existingSecret)) -}}
{{- fail "kafka.tls.certKey and kafka.tls.keyKey need kafka.tls.enabled and kafka.tls.existingSecret, the Secret holding them" -}}
{{- end -}}
{{- /* The drain keeps the pod in its Service while it still answers; the kubelet kills it at the grace period. */ -}}
{{- if ge (int64 .Values.shutdownDrainMs) (mul (int64 .Values.terminationGracePeriodSeconds) 1000) -}}
{{- fail (printf "shutdownDrainMs (%v) must be shorter than terminationGracePeriodSeconds (%v s), or pods are killed before they stop cleanly" .Values.shutdownDrainMs .Values.terminationGracePeriodSeconds) -}}
{{- end -}}
{{- if eq .Values.auth.mode "jwt" -}}
{{- $_ := required "auth.issuer is required with auth.mode=jwt" .Values.auth.issuer -}}
{{- $_ := required "auth.audience is required with auth.mode=jwt" .Values.auth.audience -}}
{{- if not (or .Values.auth.jwksUrl .Values.auth.jwksExistingConfigMap) -}}
{{- fail "auth.jwksUrl or auth.jwksExistingConfigMap is required with auth.mode=jwt" -}}
{{- end -}}
{{- $_ := required "auth.configReaderTokenSecret.name is required with auth.mode=jwt: the Secret holding the services' token (scope writeback.auditor) for reading domain configuration" .Values.auth.configReaderTokenSecret.name -}}
{{- end -}}
{{- $seen := dict -}}
{{- range .Values.executors.domains -}}
{{- $domain := required "executors.domains[].domain is required" .domain -}}
{{- if hasKey $seen $domain -}}
{{- fail (printf "executors.domains: domain %s is listed twice" $domain) -}}
{{- end -}}
{{- $_ := set $seen $domain true -}}
{{- $_ := required (printf "executors.domains[%s].keySecret.name is required: the Secret holding the domain's private key" $domain) (dig "keySecret" "name" "" .) -}}
{{- $_ := required (printf "executors.domains[%s].keySecret.key is required" $domain) (dig "keySecret" "key" "" .) -}}
{{- $_ := required (printf "executors.domains[%s].bindPasswordSecret.name is required: the Secret holding the AD service account's password" $domain) (dig "bindPasswordSecret" "name" "" .) -}}
{{- $_ := required (printf "executors.domains[%s].bindPasswordSecret.key is required" $domain) (dig "bindPasswordSecret" "key" "" .) -}}
{{- if and $.Values.networkPolicy.enabled (not .dcCidrs) -}}
{{- fail (printf "executors.domains[%s].dcCidrs is required: the domain controllers' addresses, the only AD the executor may reach" $domain) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Topics, as in libs/contracts/src/topics.ts. */}}
{{- define "writeback.topics" -}}
{{- $topics := list "writeback.events.v1" "writeback.audit.v1" "writeback.config.v1" "writeback.dead-letters.v1" "writeback.lookups.v1" -}}
{{- range .Values.executors.domains -}}
{{- $topics = append $topics (printf "writeback.executor.%s.v1" .domain) -}}
{{- end -}}
{{- join " " $topics -}}
{{- end -}}

{{/* Configs a topic is created with over kafka.topics.extraConfig, as TopicConfigs in libs/contracts/src/topics.ts. */}}
{{- define "writeback.topicConfigs" -}}
{{- toYaml (dict "writeback.lookups.v1" (dict "retention.ms" "3600000" "segment.ms" "600000")) -}}
{{- end -}}

{{/* `--config key=value`. Helm reads a number in a values file as a float, which toString prints as 6.048e+08. */}}
{{- define "writeback.topicConfigArg" -}}
{{- $v := index . 1 -}}
{{- printf "--config %s=%s" (index . 0) (ternary (toJson $v) (toString $v) (kindIs "float64" $v)) -}}
{{- end -}}

{{/* Mount paths inside the containers. */}}
{{- define "writeback.kafkaTlsDir" -}}/etc/writeback/kafka-tls{{- end -}}
{{- define "writeback.keyDir" -}}/etc/writeback/keys{{- end -}}
{{- define "writeback.bindDir" -}}/etc/writeback/bind{{- end -}}
{{- define "writeback.jwksDir" -}}/etc/writeback/jwks{{- end -}}
{{- define "writeback.configReaderTokenDir" -}}/etc/writeback/config-reader{{- end -}}
{{- define "writeback.scimClientsDir" -}}/etc/writeback/scim-clients{{- end -}}

{{/* Env of every service: shared settings from the ConfigMap, secrets only by reference. */}}
{{- define "writeback.serviceEnv" -}}
- name: WRITEBACK_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.existingSecretUrlKey }}
{{- if .Values.kafka.sasl.mechanism }}
- name: WRITEBACK_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.usernameKey }}
- name: WRITEBACK_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.passwordKey }}
{{- end }}
{{- end -}}

{{- define "writeback.kafkaTlsVolumeMounted" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.existingSecret -}}true{{- end -}}
{{- end -}}

{{- define "writeback.commonVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if eq .Values.auth.mode "jwt" }}
- name: config-reader-token
  mountPath: {{ include "writeback.configReaderTokenDir" . }}
  readOnly: true
{{- end }}
{{- if include "writeback.kafkaTlsVolumeMounted" . }}
- name: kafka-tls
  mountPath: {{ include "writeback.kafkaTlsDir" . }}
  readOnly: true
{{- end }}
{{- end -}}

{{- define "writeback.commonVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if eq .Values.auth.mode "jwt" }}
{{- /* A whole-Secret volume (no subPath), so a renewed token reaches the pods without a restart. */}}
- name: config-reader-token
  secret:
    secretName: {{ .Values.auth.configReaderTokenSecret.name }}
    defaultMode: 0440
    items:
      - key: {{ .Values.auth.configReaderTokenSecret.key }}
        path: token
{{- end }}
{{- if include "writeback.kafkaTlsVolumeMounted" . }}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.existingSecret }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{/* The HTTP probes every service answers (libs/platform/src/health.controller.ts). */}}
{{- define "writeback.probes" -}}
startupProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: 5
  failureThreshold: {{ .Values.probes.startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
  failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
readinessProbe:
  httpGet:
    path: /health/ready
    port: http
  periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
  failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
{{- end -}}

{{/* Pod-level settings shared by every workload. Call with the root, or (dict "root" $ "hook" true) for a hook Job. */}}
{{- define "writeback.podCommon" -}}
{{- $root := default . .root -}}
serviceAccountName: {{ ternary (include "writeback.hookServiceAccountName" $root) (include "writeback.serviceAccountName" $root) (default false .hook) }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
A service Deployment. Call with (dict "root" $ "component" "policy-gate" "values" .Values.policyGate), plus
optionally "name" (object name suffix), "domain", "auth" (true: the WRITEBACK_AUTH_* settings), and "extraEnv", "extraVolumeMounts", "extraVolumes"
(YAML lists as strings). The component is also the app directory: node apps/<component>/dist/main.js.
*/}}
{{- define "writeback.deployment" -}}
{{- $root := .root -}}
{{- $v := .values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "writeback.componentName" . }}
  labels:
    {{- include "writeback.labels" . | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "writeback.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "writeback.labels" . | nindent 8 }}
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/common/configmap.yaml") $root | sha256sum }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "writeback.podCommon" $root | nindent 6 }}
      terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}
      containers:
        - name: {{ .component }}
          image: {{ include "writeback.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command:
            - node
            - {{ printf "apps/%s/dist/main.js" .component }}
          ports:
            - name: http
              containerPort: {{ $v.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "writeback.componentName" (dict "root" $root "component" "common") }}
            {{- if .auth }}
            - configMapRef:
                name: {{ include "writeback.componentName" (dict "root" $root "component" "auth") }}
            {{- end }}
          env:
            - name: {{ printf "WRITEBACK_%s_PORT" (.component | upper | replace "-" "_") }}
              value: {{ $v.port | quote }}
            {{- include "writeback.serviceEnv" $root | nindent 12 }}
            {{- with .extraEnv }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- include "writeback.probes" $root | nindent 10 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          volumeMounts:
            {{- include "writeback.commonVolumeMounts" $root | nindent 12 }}
            {{- if and .auth $root.Values.auth.jwksExistingConfigMap }}
            - name: jwks
              mountPath: {{ include "writeback.jwksDir" $root }}
              readOnly: true
            {{- end }}
            {{- with .extraVolumeMounts }}
            {{- . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "writeback.commonVolumes" $root | nindent 8 }}
        {{- if and .auth $root.Values.auth.jwksExistingConfigMap }}
        - name: jwks
          configMap:
            name: {{ $root.Values.auth.jwksExistingConfigMap }}
        {{- end }}
        {{- with .extraVolumes }}
        {{- . | nindent 8 }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{/* Service, PodDisruptionBudget and HorizontalPodAutoscaler of one component (same call as writeback.deployment). */}}
{{- define "writeback.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "writeback.componentName" . }}
  labels:
    {{- include "writeback.labels" . | nindent 4 }}
spec:
  type: {{ dig "service" "type" "ClusterIP" .values }}
  selector:
    {{- include "writeback.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .values.port }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{/*
A PodDisruptionBudget that lets node drains proceed: maxUnavailable (at least 1, by the schema) by default. A minAvailable,
when set, replaces it, and is refused when it leaves no pod to evict (it is at least replicaCount,
or the autoscaler's minReplicas): every drain of a node running one of the pods would hang.
*/}}
{{- define "writeback.pdb" -}}
{{- $pdb := .values.pdb -}}
{{- if $pdb.enabled }}
{{- $name := include "writeback.componentName" . -}}
{{- $min := "" -}}
{{- if and (hasKey $pdb "minAvailable") (not (kindIs "invalid" $pdb.minAvailable)) -}}
{{- $min = toString $pdb.minAvailable -}}
{{- end -}}
{{- $replicas := int64 (ternary .values.autoscaling.minReplicas .values.replicaCount .values.autoscaling.enabled) -}}
{{- if and $min (not (hasSuffix "%" $min)) (gt $replicas 0) (ge (int64 $min) $replicas) -}}
{{- fail (printf "%s: pdb.minAvailable %s with %d replicas would block every node drain; lower it, or leave it empty and use pdb.maxUnavailable" $name $min $replicas) -}}
{{- end }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  labels:
    {{- include "writeback.labels" . | nindent 4 }}
spec:
  {{- if $min }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "writeback.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{- define "writeback.hpa" -}}
{{- if .values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "writeback.componentName" . }}
  labels:
    {{- include "writeback.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "writeback.componentName" . }}
  minReplicas: {{ .values.autoscaling.minReplicas }}
  maxReplicas: {{ .values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .values.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- end -}}

{{/* NetworkPolicy egress rules. Call with (dict "ports" (list 5432) "to" (list ...) "protocol" "TCP"). */}}
{{- define "writeback.egressRule" -}}
- ports:
    {{- range .ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{- define "writeback.egressDns" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
  {{- with .Values.networkPolicy.dns.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{- define "writeback.egressOtlp" -}}
{{- if .Values.otlp.endpoint }}
{{ include "writeback.egressRule" .Values.networkPolicy.otlp }}
{{- end }}
{{- end -}}

{{/* Egress to config-service's pods, for the gate and the executors. */}}
{{- define "writeback.egressConfigService" -}}
- ports:
    - port: {{ .Values.configService.port }}
      protocol: TCP
  to:
    - podSelector:
        matchLabels:
          {{- include "writeback.selectorLabels" (dict "root" . "component" "config-service") | nindent 10 }}
{{- end -}}

{{/* Ingress to a component's HTTP port from the given peers (none given: from anywhere), plus metrics scrapers. */}}
{{- define "writeback.ingressHttp" -}}
- ports:
    - port: http
      protocol: TCP
  {{- with .from }}
  from:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* Hook Jobs run before the chart's ServiceAccount exists on first install. */}}
{{- define "writeback.hookServiceAccountName" -}}
{{- if .Values.serviceAccount.create -}}default{{- else -}}{{ include "writeback.serviceAccountName" . }}{{- end -}}
{{- end -}}

{{- define "writeback.auditEnv" -}}
- name: WRITEBACK_AUDIT_RETENTION_INTERVAL_MS
  value: {{ .Values.auditService.retentionIntervalMs | quote }}
{{- end -}}

{{/*
The head of a component's NetworkPolicy (same call as writeback.deployment); the file adds its rules.
With "hookWeight", the policy of a hook Job: itself a hook, created before the Job (a lower weight),
because ordinary resources do not exist yet when pre-install hooks run.
*/}}
{{- define "writeback.networkPolicyHead" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "writeback.componentName" . }}
  labels:
    {{- include "writeback.labels" . | nindent 4 }}
  {{- with .hookWeight }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: {{ . | quote }}
    helm.sh/hook-delete-policy: before-hook-creation
  {{- end }}
spec:
  podSelector:
    matchLabels:
      {{- include "writeback.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
{{- end -}}

{{/* Egress every service needs: PostgreSQL, Kafka, and the OTLP collector when tracing is exported. */}}
{{- define "writeback.egressData" -}}
{{ include "writeback.egressRule" .Values.networkPolicy.database }}
{{ include "writeback.egressRule" .Values.networkPolicy.kafka }}
{{- include "writeback.egressOtlp" . }}
{{- end -}}

{{- define "writeback.egressJwks" -}}
{{- if .Values.auth.jwksUrl }}
{{ include "writeback.egressRule" .Values.networkPolicy.jwks }}
{{- end }}
{{- end -}}

{{- define "writeback.ingressMetrics" -}}
{{- with .Values.networkPolicy.ingress.metrics }}
{{ include "writeback.ingressHttp" (dict "from" .) }}
{{- end }}
{{- end -}}

{{/* Executor settings. Call with (dict "root" $ "domain" <executors.domains entry>). */}}
{{- define "writeback.executorEnv" -}}
- name: WRITEBACK_EXECUTOR_DOMAINS
  value: {{ .domain.domain | quote }}
- name: WRITEBACK_EXECUTOR_KEY_DIR
  value: {{ include "writeback.keyDir" .root | quote }}
- name: WRITEBACK_EXECUTOR_MAX_ATTEMPTS
  value: {{ .root.Values.executors.maxAttempts | quote }}
- name: WRITEBACK_EXECUTOR_RETRY_BASE_MS
  value: {{ .root.Values.executors.retryBaseMs | quote }}
- name: WRITEBACK_EXECUTOR_LDAP_POOL_SIZE
  value: {{ .root.Values.executors.ldapPoolSize | quote }}
{{- end -}}

{{/* Whole-Secret mounts (never subPath), so a rotated key or password reaches the pod without a restart. */}}
{{- define "writeback.executorVolumeMounts" -}}
- name: domain-key
  mountPath: {{ include "writeback.keyDir" .root }}
  readOnly: true
- name: bind-password
  mountPath: {{ printf "%s/%s" (include "writeback.bindDir" .root) .domain.domain }}
  readOnly: true
{{- end -}}

{{- define "writeback.executorVolumes" -}}
- name: domain-key
  projected:
    defaultMode: 0440
    sources:
      - secret:
          name: {{ .domain.keySecret.name }}
          items:
            - key: {{ .domain.keySecret.key }}
              path: {{ printf "%s.key" .domain.domain }}
      {{- with .domain.previousKeySecret }}
      {{- /* During a key rotation: operations sealed with the old key still open. */}}
      - secret:
          name: {{ .name }}
          items:
            - key: {{ .key }}
              path: {{ printf "%s.previous.key" $.domain.domain }}
      {{- end }}
- name: bind-password
  secret:
    secretName: {{ .domain.bindPasswordSecret.name }}
    defaultMode: 0440
    items:
      - key: {{ .domain.bindPasswordSecret.key }}
        path: password
{{- end -}}

{{/* The gate's SCIM clients file (policyGate.scim.existingSecret), when set. */}}
{{- define "writeback.gateScimEnv" -}}
- name: WRITEBACK_SCIM_CLIENTS_FILE
  value: {{ printf "%s/clients.json" (include "writeback.scimClientsDir" .) | quote }}
{{- end -}}

{{- define "writeback.gateScimVolumeMounts" -}}
- name: scim-clients
  mountPath: {{ include "writeback.scimClientsDir" . }}
  readOnly: true
{{- end -}}

{{/* A whole-Secret volume (no subPath), so a client added or removed reaches the gate without a restart. */}}
{{- define "writeback.gateScimVolumes" -}}
- name: scim-clients
  secret:
    secretName: {{ .Values.policyGate.scim.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .Values.policyGate.scim.existingSecretKey }}
        path: clients.json
{{- end -}}
