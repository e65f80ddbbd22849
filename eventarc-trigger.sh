#!/usr/bin/env bash
# eventarc-trigger.sh - create, list and delete the Eventarc triggers that feed eventarc-router,
# together with the trigger service account and the IAM bindings they need; and create the
# log-based metrics and alert policies that show what its routes did (docs/observability.md).
#
# Every gcloud command is printed before it runs; --dry-run prints them and runs nothing.
# Creation is idempotent: what already exists is left alone, and a second run says so.
# Inputs are checked before any gcloud command runs. See docs/deploy.md.
set -euo pipefail

PROG=$(basename "$0")

usage() {
  cat <<EOF
Usage:
  $PROG create storage  --project=P --region=R --bucket=B [--event-type=T]... DESTINATION [OPTIONS]
  $PROG create pubsub   --project=P --region=R [--transport-topic=TOPIC [--create-topic]] DESTINATION [OPTIONS]
  $PROG create artifact-registry --project=P --region=R [--source-project=P] DESTINATION [OPTIONS]
  $PROG create firestore --project=P --region=R [--database=D] [--document=PATTERN] [--event-type=T]...
                         [--data-content-type=T] DESTINATION [OPTIONS]
  $PROG create audit-log --project=P --region=R --service-name=S --method-name=M [--resource-name=PATTERN]
                         DESTINATION [OPTIONS]
  $PROG create metrics --project=P [--service=S] [--notification-channel=C]... [--p99-threshold-ms=N]
  $PROG list   --project=P [--location=L] [--destination-run-service=S]
  $PROG delete --project=P --location=L NAME... [--dry-run]

DESTINATION (exactly one):
  --destination-run-service=S     Cloud Run service that runs eventarc-router
  --destination-function=F        Cloud Functions 2nd gen function (its Cloud Run service is looked up)
  --destination-run-region=R      region of the service or function (default: --region)
  --destination-run-path=/PATH    path on the service that receives the events (Cloud Run only)

Storage:
  --bucket=B                      bucket whose object events are wanted
  --event-type=T                  finalized (default), deleted, archived, metadataUpdated, or all;
                                  repeat for several (one trigger per type)
Pub/Sub:
  --transport-topic=TOPIC         existing topic (ID or projects/P/topics/ID) in the same project;
                                  without it Eventarc creates a new topic for the trigger
  --create-topic                  create --transport-topic when it does not exist
Artifact Registry:
  --source-project=P              project whose registry publishes to its "gcr" topic (must be --project)
Firestore:
  --database=D                    Firestore database ID (default: (default))
  --document=PATTERN              document path or path pattern, relative to the database's documents:
                                  users/alice, users/{uid}, users/{uid}/orders/{orderId}, users/{rest=**}
                                  (default: every document)
  --event-type=T                  written (default: any change), created, updated, deleted, each also as
                                  T.withAuthContext; repeat for several (one trigger per type)
  --data-content-type=T           application/json (default) or application/protobuf (json, protobuf)
Cloud Audit Logs:
  --service-name=S                the audited service, e.g. storage.googleapis.com
  --method-name=M                 the audited method, e.g. storage.buckets.create
  --resource-name=PATTERN         resource name or path pattern, e.g. projects/_/buckets/{bucket}
                                  (default: every resource)

Metrics (docs/observability.md; no trigger, no DESTINATION):
  --service=S                     alert only on this Cloud Run service (default: every service in the
                                  project; the metrics always count every service's lines)
  --notification-channel=C        projects/P/notificationChannels/ID to notify; repeat for several
  --p99-threshold-ms=N            alert when a route's p99 duration over 5 minutes exceeds N ms
                                  (default: 10000)

OPTIONS:
  --location=L                    trigger location (default: --region; storage: the bucket's location;
                                  firestore: the database's location; audit-log: global for global resources)
  --name=N                        trigger name (default: derived from destination and source)
  --service-account=ID|EMAIL      identity the trigger uses to call the destination
                                  (default: eventarc-trigger@P.iam.gserviceaccount.com, created if missing)
  --dry-run                       print the gcloud commands, run nothing
  -h, --help                      this help

What 'create' ensures (each only when missing):
  - the trigger service account;
  - roles/eventarc.eventReceiver for it on the project;
  - roles/run.invoker for it on the destination service;
  - roles/iam.serviceAccountTokenCreator for the Pub/Sub service agent on the project;
  - roles/pubsub.publisher for the Cloud Storage service agent (storage triggers);
  - nothing more for firestore and audit-log triggers (audit-log: the service's Data Access
    audit logs must be on for data-access methods; that is a project setting, see docs/deploy.md);
  - the transport topic (--create-topic, or the "gcr" topic for Artifact Registry);
  - the trigger(s).

What 'create metrics' ensures (each only when missing, by name or display name):
  - the log-based metrics eventarc_router_route_outcomes (counter) and
    eventarc_router_route_duration (distribution, ms), labelled by route and outcome;
  - alert policies: a route rejected events; a route kept failing (retried) for 15 minutes;
    a route's p99 duration is over --p99-threshold-ms.
EOF
}

die() {
  echo "$PROG: $*" >&2
  exit 2
}

# ---------------------------------------------------------------- input checks (no gcloud here)

valid_project() { [[ $1 =~ ^[a-z][a-z0-9-]{4,28}[a-z0-9]$ ]]; }
valid_region() { [[ $1 =~ ^[a-z]+-[a-z]+[0-9]+$ ]]; }
# Trigger locations: a region, a multi-region (us, eu, asia), a dual-region (nam4, eur4) or global.
valid_location() { valid_region "$1" || [[ $1 =~ ^[a-z]+[0-9]*$ ]]; }
# Cloud Run service: lowercase letters, digits and hyphens, starts with a letter, no trailing hyphen, <= 49.
valid_run_service() { [[ $1 =~ ^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$ ]]; }
# Cloud Functions 2nd gen: lowercase letters, digits and hyphens, starts with a letter, <= 63.
valid_function() { [[ $1 =~ ^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$ ]]; }
valid_trigger_name() { [[ $1 =~ ^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$ ]]; }
valid_sa_id() { [[ $1 =~ ^[a-z][a-z0-9-]{4,28}[a-z0-9]$ ]]; }
valid_sa_email() { [[ $1 =~ ^[a-z0-9][a-z0-9.-]*@[a-z0-9][a-z0-9.-]*\.gserviceaccount\.com$ ]]; }
valid_topic_id() { [[ $1 =~ ^[A-Za-z][-A-Za-z0-9._~%+]{2,254}$ ]] && [[ $1 != goog* ]]; }
valid_run_path() { [[ $1 =~ ^/?[-A-Za-z0-9._~/]*$ ]]; }
# Firestore database IDs: (default), or 4-63 lowercase letters, digits and hyphens, starting with a letter.
valid_database() { [[ $1 == "(default)" || $1 =~ ^[a-z][a-z0-9-]{2,61}[a-z0-9]$ ]]; }
valid_service_name() { [[ $1 =~ ^[a-z][a-z0-9.-]*\.googleapis\.com$ ]]; }
valid_method_name() { [[ $1 =~ ^[A-Za-z0-9][-A-Za-z0-9._/]*$ ]]; }

# Path patterns (Eventarc's syntax, as eventarc-router's pathPattern filters read it): prints why
# PATTERN breaks it and succeeds, or fails when it is valid.
path_pattern_problem() {
  local p=${1#/} seg rest=0 i=0
  local -a segs
  if [[ -z $p ]]; then echo "is empty"; return 0; fi
  # gcloud reads a comma as the start of another filter, and spaces are never in these names.
  if [[ $p =~ [[:space:],\'\"] ]]; then echo "must not contain spaces, commas or quotes"; return 0; fi
  IFS=/ read -r -a segs <<<"$p"
  if [[ $p == */ ]]; then echo "must not end with '/'"; return 0; fi
  for seg in "${segs[@]}"; do
    i=$((i + 1))
    if [[ -z $seg ]]; then echo "has an empty segment ($i)"; return 0; fi
    if [[ $seg == "**" || $seg =~ ^\{[A-Za-z_][A-Za-z0-9_]*=\*\*\}$ ]]; then
      rest=$((rest + 1))
    elif [[ $seg == *[{}]* && ! $seg =~ ^\{[A-Za-z_][A-Za-z0-9_]*(=\*)?\}$ ]]; then
      echo "segment $i '$seg': a capture is a whole segment, {name} or {name=**}"
      return 0
    elif [[ $seg == *'**'* ]]; then
      echo "segment $i '$seg': '**' stands alone as a segment"
      return 0
    fi
  done
  if ((rest > 1)); then echo "may hold only one '**' or '{name=**}'"; return 0; fi
  return 1
}

# has_wildcards PATTERN: whether it needs --event-filters-path-pattern (else it is an exact value).
has_wildcards() { [[ $1 == *'*'* || $1 == *'{'* ]]; }

# Cloud Storage bucket naming rules: prints why NAME breaks them and succeeds, or fails when it is valid.
bucket_problem() {
  local b=$1 part
  local -a parts
  if ((${#b} < 3)); then echo "must be at least 3 characters"; return 0; fi
  if [[ ! $b =~ ^[a-z0-9._-]+$ ]]; then echo "may contain only lowercase letters, digits, '-', '_' and '.'"; return 0; fi
  if [[ ! $b =~ ^[a-z0-9] || ! $b =~ [a-z0-9]$ ]]; then echo "must start and end with a letter or digit"; return 0; fi
  if [[ $b == *.* ]]; then
    if ((${#b} > 222)); then echo "must be at most 222 characters"; return 0; fi
    IFS=. read -r -a parts <<<"$b"
    for part in "${parts[@]}"; do
      if [[ -z $part ]]; then echo "must not contain empty dot-separated parts"; return 0; fi
      if ((${#part} > 63)); then echo "each dot-separated part must be at most 63 characters"; return 0; fi
    done
  elif ((${#b} > 63)); then
    echo "must be at most 63 characters (222 when it contains dots)"
    return 0
  fi
  if [[ $b =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]]; then echo "must not look like an IP address"; return 0; fi
  if [[ $b == goog* ]]; then echo "must not start with 'goog'"; return 0; fi
  if [[ $b == *google* || $b == *g00gle* ]]; then echo "must not contain 'google'"; return 0; fi
  return 1
}

# ---------------------------------------------------------------- running gcloud

DRY_RUN=0
CHANGES=0
OUT=""
ERR=""
RC=0

# Quote an argument for display only when the shell would need it.
show_arg() {
  if [[ $1 =~ ^[-A-Za-z0-9_./:=@,+%]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

print_cmd() {
  local line="gcloud" a
  for a in "$@"; do line+=" $(show_arg "$a")"; done
  if ((DRY_RUN)); then
    echo "[dry-run] \$ $line"
  else
    echo "\$ $line" >&2
  fi
}

# gcloud_try ARGS...: print and run; stdout in OUT, stderr in ERR, exit code in RC. Never exits.
gcloud_try() {
  print_cmd "$@"
  OUT=""
  ERR=""
  RC=0
  if ((DRY_RUN)); then return 0; fi
  local errf
  errf=$(mktemp "${TMPDIR:-/tmp}/eventarc-trigger.XXXXXX")
  if OUT=$(gcloud "$@" 2>"$errf"); then RC=0; else RC=$?; fi
  ERR=$(cat "$errf")
  rm -f "$errf"
  return 0
}

# Stop with the failing command's own message and exit code.
fail_cmd() {
  [[ -n $ERR ]] && echo "$ERR" >&2
  [[ -n $OUT ]] && echo "$OUT" >&2
  echo "$PROG: the command above failed (exit $RC); nothing after it was run." >&2
  exit "$RC"
}

# gcloud_run ARGS...: print and run; stop on failure.
gcloud_run() {
  gcloud_try "$@"
  if ((RC != 0)); then fail_cmd; fi
}

is_not_found() { grep -qiE 'NOT_FOUND|not found|does not exist|404' <<<"$ERR"; }
is_already_exists() { grep -qiE 'ALREADY_EXISTS|already exists|409' <<<"$ERR"; }

note() { echo "  $*" >&2; }
changed() {
  CHANGES=$((CHANGES + 1))
  note "$@"
}

# exists ARGS...: run a describe command; 0 = exists, 1 = not found, stop on any other failure.
# In dry-run nothing is known, so everything counts as missing.
exists() {
  gcloud_try "$@"
  if ((DRY_RUN)); then return 1; fi
  if ((RC == 0)); then return 0; fi
  if is_not_found; then return 1; fi
  fail_cmd
}

# create ARGS...: run a create command; "already exists" (a concurrent run) counts as present.
create() {
  local what=$1
  shift
  gcloud_try "$@"
  if ((DRY_RUN)); then
    note "would create $what"
  elif ((RC == 0)); then
    changed "created $what"
  elif is_already_exists; then
    note "$what already exists; unchanged"
  else
    fail_cmd
  fi
}

# ---------------------------------------------------------------- IAM

# has_binding POLICY_LINES ROLE MEMBER
has_binding() { grep -qxF "$2,$3" <<<"$1"; }

POLICY_FORMAT='csv[no-heading](bindings.role,bindings.members)'

ensure_project_binding() {
  local policy=$1 role=$2 member=$3
  if ((!DRY_RUN)) && has_binding "$policy" "$role" "$member"; then
    note "$member already has $role on project $PROJECT; unchanged"
    return 0
  fi
  gcloud_run projects add-iam-policy-binding "$PROJECT" "--member=$member" "--role=$role" --condition=None --format=none
  if ((DRY_RUN)); then note "would grant $role to $member on project $PROJECT"; else changed "granted $role to $member on project $PROJECT"; fi
}

ensure_run_invoker() {
  local service=$1 region=$2 member=$3 policy
  gcloud_run run services get-iam-policy "$service" "--region=$region" "--project=$PROJECT" \
    '--flatten=bindings[].members' "--format=$POLICY_FORMAT"
  policy=$OUT
  if ((!DRY_RUN)) && has_binding "$policy" roles/run.invoker "$member"; then
    note "$member already has roles/run.invoker on service $service; unchanged"
    return 0
  fi
  gcloud_run run services add-iam-policy-binding "$service" "--region=$region" "--project=$PROJECT" \
    "--member=$member" --role=roles/run.invoker --format=none
  if ((DRY_RUN)); then note "would grant roles/run.invoker to $member on service $service"; else changed "granted roles/run.invoker to $member on service $service"; fi
}

# ---------------------------------------------------------------- names

sanitize() {
  local s
  s=$(tr '[:upper:]' '[:lower:]' <<<"$1")
  s=$(sed -e 's/[^a-z0-9-]/-/g' -e 's/--*/-/g' -e 's/^-//' -e 's/-$//' <<<"$s")
  printf '%s' "$s"
}

# trigger_name PREFIX SUFFIX: PREFIX-SUFFIX cut to 63 characters, keeping the suffix.
trigger_name() {
  local prefix=$1 suffix=$2 max
  max=$((63 - ${#suffix} - 1))
  prefix=${prefix:0:max}
  prefix=${prefix%-}
  prefix=${prefix%-}
  printf '%s-%s' "$prefix" "$suffix"
}

storage_type() {
  case $1 in
    finalized | google.cloud.storage.object.v1.finalized) echo google.cloud.storage.object.v1.finalized ;;
    deleted | google.cloud.storage.object.v1.deleted) echo google.cloud.storage.object.v1.deleted ;;
    archived | google.cloud.storage.object.v1.archived) echo google.cloud.storage.object.v1.archived ;;
    metadataUpdated | google.cloud.storage.object.v1.metadataUpdated) echo google.cloud.storage.object.v1.metadataUpdated ;;
    *) return 1 ;;
  esac
}

firestore_type() {
  local t=${1#google.cloud.firestore.document.v1.} auth=""
  if [[ $t == *.withAuthContext ]]; then
    auth=.withAuthContext
    t=${t%.withAuthContext}
  fi
  case $t in
    created | updated | deleted | written) echo "google.cloud.firestore.document.v1.$t$auth" ;;
    *) return 1 ;;
  esac
}

firestore_short() {
  local t=${1#google.cloud.firestore.document.v1.}
  if [[ $t == *.withAuthContext ]]; then echo "${t%.withAuthContext}-auth"; else echo "$t"; fi
}

storage_short() {
  case $1 in
    *.finalized) echo finalized ;;
    *.deleted) echo deleted ;;
    *.archived) echo archived ;;
    *.metadataUpdated) echo metadata-updated ;;
  esac
}

# ---------------------------------------------------------------- metrics and alert policies

OUTCOMES_METRIC=eventarc_router_route_outcomes
DURATION_METRIC=eventarc_router_route_duration
# What selects the lines functions/answer/route-lines.ts writes, one per route per event.
ROUTE_LINES='resource.type="cloud_run_revision" AND jsonPayload.route:* AND jsonPayload.outcome=("handled" OR "retried" OR "rejected" OR "in-progress")'
METRIC_LABELS='labelExtractors:
  route: EXTRACT(jsonPayload.route)
  outcome: EXTRACT(jsonPayload.outcome)'
METRIC_LABEL_DESCRIPTORS="  labels:
  - key: route
    valueType: STRING
    description: the route's name
  - key: outcome
    valueType: STRING
    description: handled, retried, rejected or in-progress"

# metric_config outcomes|duration: the LogMetric for --config-from-file (YAML; the filter in single quotes, it holds double ones).
metric_config() {
  if [[ $1 == outcomes ]]; then
    cat <<EOF
description: eventarc-router, one per route per event, by route and outcome (handled, retried, rejected, in-progress)
filter: '$ROUTE_LINES'
$METRIC_LABELS
metricDescriptor:
  metricKind: DELTA
  valueType: INT64
  unit: '1'
  displayName: eventarc-router route outcomes
$METRIC_LABEL_DESCRIPTORS
EOF
  else
    cat <<EOF
description: eventarc-router, how long each route's handler ran per event (ms), by route and outcome
filter: '$ROUTE_LINES AND jsonPayload.durationMs:*'
valueExtractor: EXTRACT(jsonPayload.durationMs)
$METRIC_LABELS
bucketOptions:
  exponentialBuckets:
    numFiniteBuckets: 45
    growthFactor: 1.5
    scale: 0.01
metricDescriptor:
  metricKind: DELTA
  valueType: DISTRIBUTION
  unit: ms
  displayName: eventarc-router route duration
$METRIC_LABEL_DESCRIPTORS
EOF
  fi
}

policy_name() {
  local who="eventarc-router${METRICS_SERVICE:+ (service $METRICS_SERVICE)}"
  case $1 in
    rejected) echo "$who: a route rejected events" ;;
    retried) echo "$who: a route keeps failing (retried)" ;;
    duration) echo "$who: a route is slow (p99 over $P99_MS ms)" ;;
  esac
}

# policy_config rejected|retried|duration: the AlertPolicy for --policy-from-file (JSON). Every value in it was validated.
policy_config() {
  local metric=$OUTCOMES_METRIC aligner=ALIGN_SUM reducer=REDUCE_SUM threshold=0 duration=0s outcome='' service='' condition doc
  [[ -z $METRICS_SERVICE ]] || service=" AND resource.label.service_name=\\\"$METRICS_SERVICE\\\""
  case $1 in
    rejected)
      outcome=' AND metric.label.outcome=\"rejected\"'
      condition="a route rejected an event"
      doc="A route rejected an event: it can never succeed, so it was acknowledged and kept in its ERROR log line (and dead-lettered when DEAD_LETTER_TOPIC is set). See docs/observability.md."
      ;;
    retried)
      outcome=' AND metric.label.outcome=\"retried\"'
      duration=900s
      condition="a route's events were retried in every 5 minutes for 15 minutes"
      doc="A route has failed for 15 minutes and Pub/Sub keeps redelivering its events; the event's WARNING line says why. See docs/observability.md."
      ;;
    duration)
      metric=$DURATION_METRIC aligner=ALIGN_PERCENTILE_99 reducer=REDUCE_MAX threshold=$P99_MS
      condition="a route's p99 duration over 5 minutes is above $P99_MS ms"
      doc="A route's handler is slow: its p99 duration over 5 minutes is above $P99_MS ms; past its timeout an event is retried. See docs/observability.md."
      ;;
  esac
  local channels='' c
  for c in "${CHANNELS[@]}"; do channels+="${channels:+, }\"$c\""; done
  cat <<EOF
{
  "displayName": "$(policy_name "$1")",
  "documentation": { "content": "$doc", "mimeType": "text/markdown" },
  "combiner": "OR",
  "conditions": [
    {
      "displayName": "$condition",
      "conditionThreshold": {
        "filter": "metric.type=\"logging.googleapis.com/user/$metric\" AND resource.type=\"cloud_run_revision\"$outcome$service",
        "aggregations": [
          {
            "alignmentPeriod": "300s",
            "perSeriesAligner": "$aligner",
            "crossSeriesReducer": "$reducer",
            "groupByFields": ["metric.label.route", "resource.label.service_name"]
          }
        ],
        "comparison": "COMPARISON_GT",
        "thresholdValue": $threshold,
        "duration": "$duration",
        "trigger": { "count": 1 }
      }
    }
  ],
  "alertStrategy": { "autoClose": "1800s" },
  "notificationChannels": [$channels]
}
EOF
}

# write_config FILE TEXT: the file gcloud reads; a dry run shows the text instead.
write_config() {
  if ((DRY_RUN)); then
    local line
    echo "[dry-run] # ${1##*/}:"
    while IFS= read -r line; do echo "[dry-run] #   $line"; done <<<"$2"
  else
    printf '%s\n' "$2" >"$1"
  fi
}

create_metrics() {
  [[ -z $LOCATION && -z $REGION && -z $NAME && -z $RUN_SERVICE && -z $FUNCTION && -z $SERVICE_ACCOUNT ]] ||
    die "'create metrics' takes --project, --service, --notification-channel, --p99-threshold-ms and --dry-run only"
  [[ -z $METRICS_SERVICE ]] || valid_run_service "$METRICS_SERVICE" || die "invalid --service '$METRICS_SERVICE': a Cloud Run service name is at most 49 lowercase letters, digits or hyphens, starts with a letter and does not end with a hyphen"
  [[ -n $P99_MS ]] || P99_MS=10000
  [[ $P99_MS =~ ^[1-9][0-9]{0,8}$ ]] || die "invalid --p99-threshold-ms '$P99_MS' (a whole number of milliseconds, 1 to 999999999)"
  local c
  for c in "${CHANNELS[@]}"; do
    [[ $c =~ ^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/notificationChannels/[0-9]{1,20}$ ]] ||
      die "invalid --notification-channel '$c' (projects/PROJECT/notificationChannels/ID)"
  done
  if ((!DRY_RUN)) && ! command -v gcloud >/dev/null 2>&1; then
    die "gcloud is not on PATH; install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install)"
  fi
  local dir metric kind file policy
  dir=$(mktemp -d "${TMPDIR:-/tmp}/eventarc-metrics.XXXXXX")
  # shellcheck disable=SC2064 # expanded now, on purpose: dir is local
  trap "rm -rf '$dir'" EXIT

  # 1. The log-based metrics.
  for kind in outcomes duration; do
    if [[ $kind == outcomes ]]; then metric=$OUTCOMES_METRIC; else metric=$DURATION_METRIC; fi
    if exists logging metrics describe "$metric" "--project=$PROJECT" '--format=value(name)'; then
      note "log-based metric $metric already exists; unchanged (delete it first to change it)"
      continue
    fi
    file="$dir/$metric.yaml"
    write_config "$file" "$(metric_config "$kind")"
    create "log-based metric $metric" logging metrics create "$metric" "--project=$PROJECT" "--config-from-file=$file"
  done

  # 2. The alert policies, known by display name (Cloud Monitoring makes their IDs).
  for kind in rejected retried duration; do
    policy=$(policy_name "$kind")
    gcloud_run alpha monitoring policies list "--project=$PROJECT" "--filter=displayName=\"$policy\"" '--format=value(name)'
    if ((!DRY_RUN)) && [[ -n $OUT ]]; then
      note "alert policy '$policy' already exists; unchanged"
      continue
    fi
    file="$dir/policy-$kind.json"
    write_config "$file" "$(policy_config "$kind")"
    create "alert policy '$policy'" alpha monitoring policies create "--project=$PROJECT" "--policy-from-file=$file"
  done

  if ((DRY_RUN)); then
    echo "$PROG: dry run; nothing was run." >&2
  elif ((CHANGES == 0)); then
    echo "$PROG: nothing changed; the metrics and alert policies were already in place." >&2
  else
    echo "$PROG: done, $CHANGES change(s). A new log-based metric counts only lines written after it was made." >&2
  fi
}

# ---------------------------------------------------------------- arguments

ACTION=""
KIND=""
PROJECT=""
REGION=""
LOCATION=""
RUN_SERVICE=""
FUNCTION=""
RUN_REGION=""
RUN_PATH=""
BUCKET=""
TOPIC=""
CREATE_TOPIC=0
SOURCE_PROJECT=""
NAME=""
SERVICE_ACCOUNT=""
DATABASE=""
DOCUMENT=""
CONTENT_TYPE=""
SERVICE_NAME=""
METHOD_NAME=""
RESOURCE_NAME=""
METRICS_SERVICE=""
P99_MS=""
CHANNELS=()
EVENT_TYPES=()
NAMES=()

if (($# == 0)); then
  usage >&2
  exit 2
fi

case $1 in
  -h | --help | help)
    usage
    exit 0
    ;;
  create)
    ACTION=create
    shift
    (($# > 0)) || die "create needs a kind: storage, pubsub, artifact-registry, firestore, audit-log or metrics"
    case $1 in
      metrics) KIND=metrics ;;
      storage | gcs) KIND=storage ;;
      pubsub | pub-sub) KIND=pubsub ;;
      artifact-registry | gcr) KIND=artifact-registry ;;
      firestore) KIND=firestore ;;
      audit-log | audit-logs) KIND=audit-log ;;
      *) die "unknown trigger kind '$1' (use storage, pubsub, artifact-registry, firestore, audit-log or metrics)" ;;
    esac
    shift
    ;;
  list | delete)
    ACTION=$1
    shift
    ;;
  *) die "unknown command '$1' (use create, list or delete; --help for usage)" ;;
esac

while (($# > 0)); do
  arg=$1
  shift
  case $arg in
    -h | --help)
      usage
      exit 0
      ;;
    --dry-run)
      DRY_RUN=1
      continue
      ;;
    --create-topic)
      CREATE_TOPIC=1
      continue
      ;;
    --*=*)
      flag=${arg%%=*}
      value=${arg#*=}
      ;;
    --*)
      flag=$arg
      (($# > 0)) || die "$flag needs a value"
      value=$1
      shift
      ;;
    *)
      if [[ $ACTION == delete ]]; then
        NAMES+=("$arg")
        continue
      fi
      die "unexpected argument '$arg'"
      ;;
  esac
  case $flag in
    --project) PROJECT=$value ;;
    --region) REGION=$value ;;
    --location) LOCATION=$value ;;
    --destination-run-service) RUN_SERVICE=$value ;;
    --destination-function) FUNCTION=$value ;;
    --destination-run-region) RUN_REGION=$value ;;
    --destination-run-path) RUN_PATH=$value ;;
    --bucket) BUCKET=${value#gs://} ;;
    --event-type) EVENT_TYPES+=("$value") ;;
    --transport-topic) TOPIC=$value ;;
    --source-project) SOURCE_PROJECT=$value ;;
    --name) NAME=$value ;;
    --service-account) SERVICE_ACCOUNT=$value ;;
    --database) DATABASE=$value ;;
    --document) DOCUMENT=$value ;;
    --data-content-type) CONTENT_TYPE=$value ;;
    --service-name) SERVICE_NAME=$value ;;
    --method-name) METHOD_NAME=$value ;;
    --resource-name) RESOURCE_NAME=$value ;;
    --service) METRICS_SERVICE=$value ;;
    --notification-channel) CHANNELS+=("$value") ;;
    --p99-threshold-ms) P99_MS=$value ;;
    *) die "unknown option '$flag' (--help for usage)" ;;
  esac
done

# ---------------------------------------------------------------- validation

[[ -n $PROJECT ]] || die "--project is required"
valid_project "$PROJECT" || die "invalid --project '$PROJECT': a project ID is 6-30 lowercase letters, digits or hyphens, starts with a letter and does not end with a hyphen"
if [[ -n $LOCATION ]]; then
  valid_location "$LOCATION" || die "invalid --location '$LOCATION' (a region such as us-central1, a multi-region such as us, or global)"
fi
[[ -z $RUN_SERVICE ]] || valid_run_service "$RUN_SERVICE" || die "invalid --destination-run-service '$RUN_SERVICE': a Cloud Run service name is at most 49 lowercase letters, digits or hyphens, starts with a letter and does not end with a hyphen"
[[ -z $NAME ]] || valid_trigger_name "$NAME" || die "invalid --name '$NAME': a trigger name is at most 63 lowercase letters, digits or hyphens, starts with a letter and does not end with a hyphen"

[[ $KIND == metrics || (-z $METRICS_SERVICE && -z $P99_MS && ${#CHANNELS[@]} -eq 0) ]] ||
  die "--service, --notification-channel and --p99-threshold-ms apply to 'create metrics' only"

if [[ $KIND == metrics ]]; then
  create_metrics
  exit 0
fi

if [[ $ACTION == list ]]; then
  args=(eventarc triggers list "--project=$PROJECT" "--location=${LOCATION:--}")
  [[ -z $RUN_SERVICE ]] || args+=("--filter=destination.cloudRun.service=$RUN_SERVICE")
  gcloud_run "${args[@]}"
  [[ -z $OUT ]] || echo "$OUT"
  exit 0
fi

if [[ $ACTION == delete ]]; then
  [[ -z $NAME ]] || NAMES+=("$NAME")
  ((${#NAMES[@]} > 0)) || die "delete needs the trigger name(s) (see '$PROG list')"
  [[ -n $LOCATION ]] || LOCATION=$REGION
  [[ -n $LOCATION ]] || die "--location (or --region) is required for delete"
  valid_location "$LOCATION" || die "invalid --location '$LOCATION'"
  for n in "${NAMES[@]}"; do
    valid_trigger_name "$n" || die "invalid trigger name '$n'"
  done
  for n in "${NAMES[@]}"; do
    gcloud_try eventarc triggers delete "$n" "--location=$LOCATION" "--project=$PROJECT" --quiet
    if ((DRY_RUN)); then
      note "would delete trigger $n"
    elif ((RC == 0)); then
      changed "deleted trigger $n"
    elif is_not_found; then
      note "trigger $n does not exist; nothing to delete"
    else
      fail_cmd
    fi
  done
  if ((!DRY_RUN && CHANGES == 0)); then echo "$PROG: nothing changed." >&2; fi
  exit 0
fi

# create
[[ -n $REGION ]] || REGION=$RUN_REGION
[[ -n $REGION ]] || die "--region is required"
valid_region "$REGION" || die "invalid --region '$REGION' (expected a Cloud Run region such as us-central1)"
[[ -n $RUN_REGION ]] || RUN_REGION=$REGION
valid_region "$RUN_REGION" || die "invalid --destination-run-region '$RUN_REGION'"

if [[ -n $RUN_SERVICE && -n $FUNCTION ]]; then die "give either --destination-run-service or --destination-function, not both"; fi
if [[ -z $RUN_SERVICE && -z $FUNCTION ]]; then die "a destination is required: --destination-run-service=SERVICE or --destination-function=FUNCTION"; fi
if [[ -n $FUNCTION ]]; then
  valid_function "$FUNCTION" || die "invalid --destination-function '$FUNCTION': a 2nd gen function name is at most 63 lowercase letters, digits or hyphens, starts with a letter and does not end with a hyphen"
  [[ -z $RUN_PATH ]] || die "--destination-run-path applies to a Cloud Run service, not to a function"
fi
[[ -z $RUN_PATH ]] || valid_run_path "$RUN_PATH" || die "invalid --destination-run-path '$RUN_PATH' (letters, digits and - . _ ~ /)"

if [[ -z $SERVICE_ACCOUNT ]]; then SERVICE_ACCOUNT=eventarc-trigger; fi
if [[ $SERVICE_ACCOUNT == *@* ]]; then
  valid_sa_email "$SERVICE_ACCOUNT" || die "invalid --service-account '$SERVICE_ACCOUNT'"
  SA_EMAIL=$SERVICE_ACCOUNT
else
  valid_sa_id "$SERVICE_ACCOUNT" || die "invalid --service-account '$SERVICE_ACCOUNT': an account ID is 6-30 lowercase letters, digits or hyphens, starts with a letter"
  SA_EMAIL="$SERVICE_ACCOUNT@$PROJECT.iam.gserviceaccount.com"
fi
SA_ID=${SA_EMAIL%@*}

[[ $KIND == storage || -z $BUCKET ]] || die "--bucket applies to storage triggers only"
[[ $KIND == storage || $KIND == firestore || ${#EVENT_TYPES[@]} -eq 0 ]] || die "--event-type applies to storage and firestore triggers only"
[[ $KIND == pubsub || -z $TOPIC ]] || die "--transport-topic applies to pubsub triggers only (artifact-registry always uses the 'gcr' topic)"
[[ $KIND == pubsub || $CREATE_TOPIC -eq 0 ]] || die "--create-topic applies to pubsub triggers only"
[[ $KIND == artifact-registry || -z $SOURCE_PROJECT ]] || die "--source-project applies to artifact-registry triggers only"
[[ $KIND == firestore || -z $DATABASE ]] || die "--database applies to firestore triggers only"
[[ $KIND == firestore || -z $DOCUMENT ]] || die "--document applies to firestore triggers only"
[[ $KIND == firestore || -z $CONTENT_TYPE ]] || die "--data-content-type applies to firestore triggers only"
[[ $KIND == audit-log || -z $SERVICE_NAME ]] || die "--service-name applies to audit-log triggers only"
[[ $KIND == audit-log || -z $METHOD_NAME ]] || die "--method-name applies to audit-log triggers only"
[[ $KIND == audit-log || -z $RESOURCE_NAME ]] || die "--resource-name applies to audit-log triggers only"

TYPES=()
case $KIND in
  storage)
    [[ -n $BUCKET ]] || die "--bucket is required for storage triggers"
    if reason=$(bucket_problem "$BUCKET"); then die "invalid --bucket '$BUCKET': a bucket name $reason"; fi
    ((${#EVENT_TYPES[@]} > 0)) || EVENT_TYPES=(finalized)
    for t in "${EVENT_TYPES[@]}"; do
      if [[ $t == all ]]; then
        TYPES+=(google.cloud.storage.object.v1.finalized google.cloud.storage.object.v1.deleted
          google.cloud.storage.object.v1.archived google.cloud.storage.object.v1.metadataUpdated)
      elif full=$(storage_type "$t"); then
        TYPES+=("$full")
      else
        die "invalid --event-type '$t' (finalized, deleted, archived, metadataUpdated or all)"
      fi
    done
    ;;
  pubsub)
    if [[ $CREATE_TOPIC -eq 1 && -z $TOPIC ]]; then die "--create-topic needs --transport-topic=TOPIC"; fi
    if [[ -n $TOPIC ]]; then
      if [[ $TOPIC == projects/* ]]; then
        [[ $TOPIC =~ ^projects/([^/]+)/topics/([^/]+)$ ]] || die "invalid --transport-topic '$TOPIC' (projects/PROJECT/topics/TOPIC)"
        [[ ${BASH_REMATCH[1]} == "$PROJECT" ]] || die "--transport-topic must be in project $PROJECT (Eventarc needs the topic in the trigger's project); for a topic in another project use a push subscription, see docs/deploy.md"
        TOPIC=${BASH_REMATCH[2]}
      fi
      valid_topic_id "$TOPIC" || die "invalid --transport-topic '$TOPIC': a topic ID is 3-255 characters, starts with a letter, and does not start with 'goog'"
    fi
    TYPES=(google.cloud.pubsub.topic.v1.messagePublished)
    ;;
  artifact-registry)
    [[ -n $SOURCE_PROJECT ]] || SOURCE_PROJECT=$PROJECT
    valid_project "$SOURCE_PROJECT" || die "invalid --source-project '$SOURCE_PROJECT'"
    [[ $SOURCE_PROJECT == "$PROJECT" ]] || die "Artifact Registry publishes to the 'gcr' topic of project $SOURCE_PROJECT, and an Eventarc trigger can only use a topic in its own project ($PROJECT); create the trigger with --project=$SOURCE_PROJECT, or use a push subscription on projects/$SOURCE_PROJECT/topics/gcr (docs/deploy.md)"
    TOPIC=gcr
    TYPES=(google.cloud.pubsub.topic.v1.messagePublished)
    ;;
  firestore)
    [[ -n $DATABASE ]] || DATABASE="(default)"
    valid_database "$DATABASE" || die "invalid --database '$DATABASE': a Firestore database ID is (default), or 4-63 lowercase letters, digits or hyphens starting with a letter"
    if [[ -n $DOCUMENT ]]; then
      if reason=$(path_pattern_problem "$DOCUMENT"); then die "invalid --document '$DOCUMENT': a document path pattern $reason"; fi
      DOCUMENT=${DOCUMENT#/}
    fi
    case ${CONTENT_TYPE:-json} in
      json | application/json) CONTENT_TYPE=application/json ;;
      protobuf | application/protobuf) CONTENT_TYPE=application/protobuf ;;
      *) die "invalid --data-content-type '$CONTENT_TYPE' (application/json or application/protobuf)" ;;
    esac
    ((${#EVENT_TYPES[@]} > 0)) || EVENT_TYPES=(written)
    for t in "${EVENT_TYPES[@]}"; do
      full=$(firestore_type "$t") || die "invalid --event-type '$t' (created, updated, deleted or written, each also as T.withAuthContext)"
      TYPES+=("$full")
    done
    ;;
  audit-log)
    [[ -n $SERVICE_NAME ]] || die "--service-name is required for audit-log triggers (e.g. storage.googleapis.com)"
    [[ -n $METHOD_NAME ]] || die "--method-name is required for audit-log triggers (e.g. storage.buckets.create)"
    valid_service_name "$SERVICE_NAME" || die "invalid --service-name '$SERVICE_NAME' (a service such as storage.googleapis.com)"
    valid_method_name "$METHOD_NAME" || die "invalid --method-name '$METHOD_NAME' (a method such as storage.buckets.create, without spaces or commas)"
    if [[ -n $RESOURCE_NAME ]]; then
      if reason=$(path_pattern_problem "$RESOURCE_NAME"); then die "invalid --resource-name '$RESOURCE_NAME': a resource name pattern $reason"; fi
    fi
    TYPES=(google.cloud.audit.log.v1.written)
    ;;
esac
if [[ -n $NAME && ${#TYPES[@]} -gt 1 ]]; then
  note "several event types: triggers are named $NAME-<type>"
fi

# ---------------------------------------------------------------- create

if ((!DRY_RUN)) && ! command -v gcloud >/dev/null 2>&1; then
  die "gcloud is not on PATH; install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install)"
fi

# Project number, for the Google-managed service agents' addresses.
gcloud_run projects describe "$PROJECT" '--format=value(projectNumber)'
PROJECT_NUMBER=${OUT:-PROJECT_NUMBER}
PUBSUB_AGENT="service-$PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com"

# The destination: a Cloud Run service, or the Cloud Run service behind a 2nd gen function.
if [[ -n $FUNCTION ]]; then
  gcloud_run functions describe "$FUNCTION" --gen2 "--region=$RUN_REGION" "--project=$PROJECT" '--format=value(serviceConfig.service)'
  if ((DRY_RUN)); then
    DEST_SERVICE=$FUNCTION
    note "assuming the function's Cloud Run service is named $FUNCTION"
  else
    DEST_SERVICE=${OUT##*/}
    [[ -n $DEST_SERVICE ]] || {
      echo "$PROG: function $FUNCTION has no Cloud Run service yet (is it a 2nd gen function that finished deploying?)" >&2
      exit 1
    }
  fi
  NAME_BASE=$FUNCTION
else
  DEST_SERVICE=$RUN_SERVICE
  NAME_BASE=$RUN_SERVICE
fi

# Storage and Firestore triggers live where the bucket or the database lives.
# location_of WHAT NAME GCLOUD-ARGS...: reads it, in lower case, into LOCATION.
location_of() {
  local what=$1 name=$2
  shift 2
  gcloud_run "$@"
  if ((DRY_RUN)); then
    LOCATION=$REGION
    note "assuming $what $name is in $REGION; pass --location to say where it is"
  else
    LOCATION=$(tr '[:upper:]' '[:lower:]' <<<"$OUT")
    valid_location "$LOCATION" || {
      echo "$PROG: could not read the location of $what $name (got '$OUT'); pass --location" >&2
      exit 1
    }
  fi
}
if [[ $KIND == storage && -z $LOCATION ]]; then
  location_of bucket "$BUCKET" storage buckets describe "gs://$BUCKET" "--project=$PROJECT" '--format=value(location)'
fi
if [[ $KIND == firestore && -z $LOCATION ]]; then
  location_of database "$DATABASE" firestore databases describe "--database=$DATABASE" "--project=$PROJECT" '--format=value(locationId)'
fi
[[ -n $LOCATION ]] || LOCATION=$REGION

# 1. The trigger's service account.
if exists iam service-accounts describe "$SA_EMAIL" "--project=$PROJECT" '--format=value(email)'; then
  note "service account $SA_EMAIL already exists; unchanged"
elif [[ $SA_EMAIL == *"@$PROJECT.iam.gserviceaccount.com" ]]; then
  create "service account $SA_EMAIL" iam service-accounts create "$SA_ID" "--project=$PROJECT" \
    '--display-name=Eventarc trigger identity for eventarc-router'
elif ((DRY_RUN)); then
  note "service account $SA_EMAIL must exist (it is not in project $PROJECT, so it is not created here)"
else
  echo "$PROG: service account $SA_EMAIL does not exist and is not in project $PROJECT; create it first" >&2
  exit 1
fi

# 2. Project-level bindings.
gcloud_run projects get-iam-policy "$PROJECT" '--flatten=bindings[].members' "--format=$POLICY_FORMAT"
PROJECT_POLICY=$OUT
ensure_project_binding "$PROJECT_POLICY" roles/eventarc.eventReceiver "serviceAccount:$SA_EMAIL"
ensure_project_binding "$PROJECT_POLICY" roles/iam.serviceAccountTokenCreator "serviceAccount:$PUBSUB_AGENT"
if [[ $KIND == storage ]]; then
  # Prints the Cloud Storage service agent, creating it when the project has none yet.
  gcloud_run storage service-agent "--project=$PROJECT"
  GCS_AGENT=${OUT:-service-$PROJECT_NUMBER@gs-project-accounts.iam.gserviceaccount.com}
  ensure_project_binding "$PROJECT_POLICY" roles/pubsub.publisher "serviceAccount:$GCS_AGENT"
fi

# 3. Permission to call the destination.
ensure_run_invoker "$DEST_SERVICE" "$RUN_REGION" "serviceAccount:$SA_EMAIL"

# 4. The transport topic.
if [[ -n $TOPIC ]]; then
  if exists pubsub topics describe "$TOPIC" "--project=$PROJECT" '--format=value(name)'; then
    note "topic $TOPIC already exists; unchanged"
  elif [[ $KIND == artifact-registry || $CREATE_TOPIC -eq 1 ]]; then
    create "topic $TOPIC" pubsub topics create "$TOPIC" "--project=$PROJECT"
  elif ((DRY_RUN)); then
    note "topic $TOPIC must exist (pass --create-topic to create it when missing)"
  else
    echo "$PROG: topic $TOPIC does not exist in project $PROJECT; create it, or pass --create-topic" >&2
    exit 1
  fi
fi

# 5. The trigger(s).
CREATED_NAMES=()
for type in "${TYPES[@]}"; do
  case $KIND in
    storage)
      if [[ -n $NAME && ${#TYPES[@]} -eq 1 ]]; then
        tname=$NAME
      elif [[ -n $NAME ]]; then
        tname=$(trigger_name "$NAME" "$(storage_short "$type")")
      else
        tname=$(trigger_name "$NAME_BASE-$(sanitize "$BUCKET")" "$(storage_short "$type")")
      fi
      ;;
    pubsub)
      if [[ -n $NAME ]]; then
        tname=$NAME
      elif [[ -n $TOPIC ]]; then
        tname=$(trigger_name "$NAME_BASE-pubsub" "$(sanitize "$TOPIC")")
      else
        tname=$NAME_BASE-pubsub
      fi
      ;;
    artifact-registry) tname=${NAME:-$NAME_BASE-gcr} ;;
    firestore)
      if [[ -n $NAME && ${#TYPES[@]} -eq 1 ]]; then
        tname=$NAME
      elif [[ -n $NAME ]]; then
        tname=$(trigger_name "$NAME" "$(firestore_short "$type")")
      else
        db=$(sanitize "$DATABASE")
        tname=$(trigger_name "$NAME_BASE-firestore-$db" "$(firestore_short "$type")")
      fi
      ;;
    audit-log)
      # The method's end names it best (storage.buckets.create, ...JobService.InsertJob).
      method=$(sanitize "$METHOD_NAME")
      if ((${#method} > 40)); then
        method=${method: -40}
        method=${method#*-}
      fi
      tname=${NAME:-$(trigger_name "$NAME_BASE-audit" "$method")}
      ;;
  esac
  if exists eventarc triggers describe "$tname" "--location=$LOCATION" "--project=$PROJECT" '--format=value(name)'; then
    note "trigger $tname already exists; unchanged (delete it first to change it)"
    continue
  fi
  args=(eventarc triggers create "$tname" "--location=$LOCATION" "--project=$PROJECT"
    "--destination-run-service=$DEST_SERVICE" "--destination-run-region=$RUN_REGION")
  [[ -z $RUN_PATH ]] || args+=("--destination-run-path=$RUN_PATH")
  args+=("--event-filters=type=$type")
  [[ $KIND != storage ]] || args+=("--event-filters=bucket=$BUCKET")
  if [[ $KIND == firestore ]]; then
    args+=("--event-filters=database=$DATABASE")
    if [[ -z $DOCUMENT ]]; then
      :
    elif has_wildcards "$DOCUMENT"; then
      args+=("--event-filters-path-pattern=document=$DOCUMENT")
    else
      args+=("--event-filters=document=$DOCUMENT")
    fi
    args+=("--event-data-content-type=$CONTENT_TYPE")
  fi
  if [[ $KIND == audit-log ]]; then
    args+=("--event-filters=serviceName=$SERVICE_NAME" "--event-filters=methodName=$METHOD_NAME")
    if [[ -z $RESOURCE_NAME ]]; then
      :
    elif has_wildcards "$RESOURCE_NAME"; then
      args+=("--event-filters-path-pattern=resourceName=$RESOURCE_NAME")
    else
      args+=("--event-filters=resourceName=$RESOURCE_NAME")
    fi
  fi
  [[ -z $TOPIC ]] || args+=("--transport-topic=projects/$PROJECT/topics/$TOPIC")
  args+=("--service-account=$SA_EMAIL")
  create "trigger $tname" "${args[@]}"
  CREATED_NAMES+=("$tname")
done

if [[ $KIND == audit-log ]]; then
  echo "$PROG: Eventarc sees only audit logs that are written: Admin Activity always, Data Access only where enabled for $SERVICE_NAME (docs/deploy.md)." >&2
fi
if ((DRY_RUN)); then
  echo "$PROG: dry run; nothing was run." >&2
elif ((CHANGES == 0)); then
  echo "$PROG: nothing changed; the trigger(s), service account and bindings were already in place." >&2
else
  echo "$PROG: done, $CHANGES change(s). New triggers can take up to 2 minutes to deliver events." >&2
  if [[ $KIND == pubsub && -z $TOPIC && ${#CREATED_NAMES[@]} -gt 0 ]]; then
    echo "$PROG: Eventarc created the trigger's topic; publish to it after reading its name with:" >&2
    echo "  gcloud eventarc triggers describe ${CREATED_NAMES[0]} --location=$LOCATION --project=$PROJECT --format='value(transport.pubsub.topic)'" >&2
  fi
fi
