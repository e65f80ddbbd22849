#!/usr/bin/env bash
# Deploys the router with its own request checks (env.yaml) and the API key in Secret
# Manager. The key is read from stdin: ./deploy.sh < api-key.txt
# Every command is printed before it runs.
set -euo pipefail
cd "$(dirname "$0")"

PROJECT="${PROJECT:-acme-prod}"                    # also in env.yaml (the emails, sm://acme-prod/...)
REGION="${REGION:-europe-west1}"
SERVICE=secured-router
RUN_SA="secured-router@${PROJECT}.iam.gserviceaccount.com"

run() { echo "+ $*"; "$@"; }

run gcloud iam service-accounts create secured-router --project="$PROJECT" --display-name="eventarc-router: secured"
run gcloud iam service-accounts create eventarc-trigger --project="$PROJECT" --display-name="Eventarc trigger identity"
run gcloud iam service-accounts create pusher --project="$PROJECT" --display-name="Pub/Sub push identity"
run gcloud secrets create router-api-key --project="$PROJECT" --replication-policy=automatic --data-file=-
run gcloud secrets add-iam-policy-binding router-api-key --project="$PROJECT" \
  --member="serviceAccount:${RUN_SA}" --role=roles/secretmanager.secretAccessor

# The router checks every request itself (OIDC token or API key), so Cloud Run lets requests
# through: API-key callers have no Google identity for Cloud Run's own IAM check.
run gcloud run deploy "$SERVICE" --project="$PROJECT" --region="$REGION" --source=. \
  --service-account="$RUN_SA" --env-vars-file=env.yaml --allow-unauthenticated
