#!/usr/bin/env bash
# Deploys the function with an Eventarc trigger on the exports bucket. The partner grants
# the function's service account objectCreator on their bucket (the last command, run by
# them in their organisation). Every command is printed before it runs.
set -euo pipefail
cd "$(dirname "$0")"

PROJECT="${PROJECT:-acme-prod}"
PROJECT_NUMBER="${PROJECT_NUMBER:-123456789012}"   # gcloud projects describe $PROJECT --format='value(projectNumber)'
REGION="${REGION:-europe-west1}"
BUCKET="${BUCKET:-acme-exports}"                   # also in routes.yaml
PARTNER_BUCKET="${PARTNER_BUCKET:-partner-inbox}"  # also in routes.yaml
FUNCTION=copy-exports
RUN_SA="copy-exports@${PROJECT}.iam.gserviceaccount.com"
TRIGGER_SA="eventarc-trigger@${PROJECT}.iam.gserviceaccount.com"

run() { echo "+ $*"; "$@"; }

run gcloud iam service-accounts create copy-exports --project="$PROJECT" --display-name="eventarc-router: copy exports to the partner"
run gcloud storage buckets add-iam-policy-binding "gs://${BUCKET}" --member="serviceAccount:${RUN_SA}" --role=roles/storage.objectViewer
run gcloud projects add-iam-policy-binding "$PROJECT" --member="serviceAccount:service-${PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com" --role=roles/pubsub.publisher --condition=None --format=none
run gcloud projects add-iam-policy-binding "$PROJECT" --member="serviceAccount:${TRIGGER_SA}" --role=roles/eventarc.eventReceiver --condition=None --format=none

run gcloud functions deploy "$FUNCTION" --gen2 --project="$PROJECT" --region="$REGION" --runtime=nodejs20 \
  --source=. --entry-point="$FUNCTION" --service-account="$RUN_SA" --timeout=120s \
  --trigger-event-filters=type=google.cloud.storage.object.v1.finalized --trigger-event-filters=bucket="$BUCKET" \
  --trigger-location="$REGION" --trigger-service-account="$TRIGGER_SA" --retry --no-allow-unauthenticated
run gcloud functions add-invoker-policy-binding "$FUNCTION" --project="$PROJECT" --region="$REGION" --member="serviceAccount:${TRIGGER_SA}"

# In the partner's organisation (they run it): write access to their bucket, nothing more.
run gcloud storage buckets add-iam-policy-binding "gs://${PARTNER_BUCKET}" --member="serviceAccount:${RUN_SA}" --role=roles/storage.objectCreator
