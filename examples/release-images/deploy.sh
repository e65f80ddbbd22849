#!/usr/bin/env bash
# Deploys the function on Artifact Registry's `gcr` topic, with the partner registry's
# password in Secret Manager. Every command is printed before it runs.
# The password is read from stdin: ./deploy.sh < partner-password.txt
set -euo pipefail
cd "$(dirname "$0")"

PROJECT="${PROJECT:-acme-build}"          # the registry's project; also in routes.yaml (sm://acme-build/...)
REGION="${REGION:-europe-west1}"
FUNCTION=releases
RUN_SA="release-images@${PROJECT}.iam.gserviceaccount.com"
TRIGGER_SA="eventarc-trigger@${PROJECT}.iam.gserviceaccount.com"

run() { echo "+ $*"; "$@"; }

# The function's own identity: it reads the source images and the one secret, nothing else.
run gcloud iam service-accounts create eventarc-trigger --project="$PROJECT" --display-name="Eventarc trigger identity"
run gcloud iam service-accounts create release-images --project="$PROJECT" --display-name="eventarc-router: release images"
run gcloud artifacts repositories add-iam-policy-binding releases --project="$PROJECT" --location=europe \
  --member="serviceAccount:${RUN_SA}" --role=roles/artifactregistry.reader
run gcloud secrets create partner-registry-password --project="$PROJECT" --replication-policy=automatic --data-file=-
run gcloud secrets add-iam-policy-binding partner-registry-password --project="$PROJECT" \
  --member="serviceAccount:${RUN_SA}" --role=roles/secretmanager.secretAccessor

# Artifact Registry publishes every push to the topic `gcr` of the registry's project, once it exists: the function runs there.
run gcloud pubsub topics create gcr --project="$PROJECT"

run gcloud functions deploy "$FUNCTION" --gen2 --project="$PROJECT" --region="$REGION" --runtime=nodejs20 \
  --source=. --entry-point="$FUNCTION" --service-account="$RUN_SA" --timeout=300s --memory=512Mi \
  --trigger-topic=gcr --trigger-location="$REGION" \
  --trigger-service-account="$TRIGGER_SA" --retry --no-allow-unauthenticated
run gcloud functions add-invoker-policy-binding "$FUNCTION" --project="$PROJECT" --region="$REGION" --member="serviceAccount:${TRIGGER_SA}"
