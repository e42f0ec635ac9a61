{{/*
The prefix of every object's name: the release name, with "-lifeboat" added unless it already
contains "lifeboat" (release "lifeboat" gives lifeboat-operator, the names deploy/ uses).
*/}}
{{- define "lifeboat.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 54 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The operator's objects: Deployment, ServiceAccount, ClusterRole and their bindings. */}}
{{- define "lifeboat.operatorName" -}}
{{- include "lifeboat.fullname" . }}-operator
{{- end -}}

{{/* What selects the operator pods; also their only labels, as in deploy/base. */}}
{{- define "lifeboat.selectorLabels" -}}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* Every object's labels. */}}
{{- define "lifeboat.labels" -}}
{{ include "lifeboat.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/*
Leader election is on when asked for; more than one replica without it would run operators that
act at once, so that combination fails the render.
*/}}
{{- define "lifeboat.leaderElection" -}}
{{- if and (gt (int .Values.replicas) 1) (not .Values.leaderElection.enabled) -}}
{{- fail (printf "replicas is %d but leaderElection.enabled is false: more than one replica needs leader election, or they would all act at once" (int .Values.replicas)) -}}
{{- end -}}
{{- if .Values.leaderElection.enabled }}true{{ else }}false{{ end -}}
{{- end -}}
