#!/usr/bin/env bash
# Deploys the function and the Eventarc trigger on the bucket. Every command is printed
# before it runs. Override the names with the environment: PROJECT=... BUCKET=... ./deploy.sh
set -euo pipefail
cd "$(dirname "$0")"

PROJECT="${PROJECT:-acme-prod}"
PROJECT_NUMBER="${PROJECT_NUMBER:-123456789012}"   # gcloud projects describe $PROJECT --format='value(projectNumber)'
REGION="${REGION:-europe-west1}"                   # the bucket's region (or a multi-region's member)
BUCKET="${BUCKET:-acme-uploads}"                   # also in routes.yaml
FUNCTION=log-uploads
TRIGGER_SA="eventarc-trigger@${PROJECT}.iam.gserviceaccount.com"

run() { echo "+ $*"; "$@"; }

# The identity Eventarc pushes with: it may receive events and invoke the function, nothing else.
run gcloud iam service-accounts create eventarc-trigger --project="$PROJECT" --display-name="Eventarc trigger identity"
run gcloud projects add-iam-policy-binding "$PROJECT" --member="serviceAccount:${TRIGGER_SA}" --role=roles/eventarc.eventReceiver --condition=None --format=none
# Cloud Storage publishes its notifications to Eventarc's topic through Pub/Sub.
run gcloud projects add-iam-policy-binding "$PROJECT" --member="serviceAccount:service-${PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com" --role=roles/pubsub.publisher --condition=None --format=none

# The function (Cloud Functions 2nd gen) and its Eventarc trigger on the bucket, in one command.
run gcloud functions deploy "$FUNCTION" --gen2 --project="$PROJECT" --region="$REGION" --runtime=nodejs20 \
  --source=. --entry-point="$FUNCTION" \
  --trigger-event-filters=type=google.cloud.storage.object.v1.finalized --trigger-event-filters=bucket="$BUCKET" \
  --trigger-location="$REGION" --trigger-service-account="$TRIGGER_SA" --no-allow-unauthenticated
run gcloud functions add-invoker-policy-binding "$FUNCTION" --project="$PROJECT" --region="$REGION" --member="serviceAccount:${TRIGGER_SA}"
