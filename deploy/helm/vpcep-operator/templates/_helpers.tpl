{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "vpcep-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, plus the chart name unless the release name already contains it. */}}
{{- define "vpcep-operator.fullname" -}}
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

{{- define "vpcep-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vpcep-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vpcep-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vpcep-operator.labels" -}}
helm.sh/chart: {{ include "vpcep-operator.chart" . }}
{{ include "vpcep-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: vpcep-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "vpcep-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vpcep-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is given. */}}
{{- define "vpcep-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the operator-wide credentials Secret, or "" when there is none. */}}
{{- define "vpcep-operator.credentialsSecret" -}}
{{- if .Values.credentials.existingSecret }}
{{- .Values.credentials.existingSecret }}
{{- else if .Values.credentials.create }}
{{- printf "%s-credentials" (include "vpcep-operator.fullname" .) }}
{{- end }}
{{- end }}

{{/* Names of the CRDs in templates/crds/ (one per file of the repository's crds/), as a JSON list. */}}
{{- define "vpcep-operator.crdNames" -}}
{{- toJson (list "vpcendpointservices.vpcep.huaweicloud.io" "vpcendpoints.vpcep.huaweicloud.io") }}
{{- end }}

{{/* RBAC rules on the custom resources (both kinds) and, with publish.enabled, on the Services and
  EndpointSlices a VpcEndpoint publishes: exactly what the reconcilers call. */}}
{{- define "vpcep-operator.crRules" -}}
- apiGroups: ["vpcep.huaweicloud.io"]
  resources: ["vpcendpointservices", "vpcendpoints"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["vpcep.huaweicloud.io"]
  resources: ["vpcendpointservices/status", "vpcendpoints/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["vpcep.huaweicloud.io"]
  resources: ["vpcendpointservices/finalizers", "vpcendpoints/finalizers"]
  verbs: ["update"]
{{- if .Values.publish.enabled }}
- apiGroups: [""]
  resources: ["services"]
  verbs: ["create", "get", "list", "watch", "patch", "update", "delete"]
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["create", "get", "list", "watch", "patch", "update", "delete"]
{{- end }}
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/* "true" when the operator watches Secrets: watchSecrets, and per-CR Secrets are allowed at all. */}}
{{- define "vpcep-operator.watchSecrets" -}}
{{- if and .Values.watchSecrets .Values.rbac.credentialSecrets }}true{{ else }}false{{ end }}
{{- end }}

{{/* RBAC rule for per-CR credentials: get, plus list/watch for the Secret watch; optionally by name
  (the operator then lists and watches each name with a metadata.name field selector). */}}
{{- define "vpcep-operator.secretRules" -}}
- apiGroups: [""]
  resources: ["secrets"]
  {{- with .Values.rbac.credentialSecretNames }}
  resourceNames: {{ toJson . }}
  {{- end }}
  {{- if eq (include "vpcep-operator.watchSecrets" .) "true" }}
  verbs: ["get", "list", "watch"]
  {{- else }}
  verbs: ["get"]
  {{- end }}
{{- end }}

{{/* The chart's minimum Kubernetes version (CEL validation rules in the CRDs, 1.25), enforced where
  it matters: against the version of a real cluster (helm install/upgrade, helm template --validate or
  --kube-version). Not a Chart.yaml kubeVersion: plain `helm template` (kustomize's helmCharts, CI
  pipelines) has no cluster, and Helm then checks the constraint against its built-in default, v1.20.0
  in builds without release ldflags (chartutil.DefaultCapabilities), failing every render. That exact
  default is taken for "unknown" and passes; any other version below 1.25 fails, saying why. */}}
{{- define "vpcep-operator.checkKubeVersion" -}}
{{- $v := .Capabilities.KubeVersion.Version }}
{{- if and (semverCompare "<1.25.0-0" $v) (ne $v "v1.20.0") }}
{{- fail (printf "vpcep-operator needs Kubernetes 1.25 or later (its CRDs validate with CEL rules); this cluster is %s" $v) }}
{{- end }}
{{- end }}
