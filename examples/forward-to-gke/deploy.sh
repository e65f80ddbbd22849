#!/usr/bin/env bash
# Deploys the forwarder on Cloud Run with Direct VPC egress: all its traffic leaves through
# the VPC, so it reaches the cluster's internal load balancer, and anything outside leaves
# through Cloud NAT from one reserved static IP (the address to put on allow-lists).
# Every command is printed before it runs.
set -euo pipefail
cd "$(dirname "$0")"

PROJECT="${PROJECT:-acme-prod}"
PROJECT_NUMBER="${PROJECT_NUMBER:-123456789012}"   # gcloud projects describe $PROJECT --format='value(projectNumber)'
REGION="${REGION:-europe-west1}"
NETWORK="${NETWORK:-default}"                      # the cluster's VPC
SUBNET=run-egress
SERVICE=forward-orders
RUN_SA="forward-orders@${PROJECT}.iam.gserviceaccount.com"
PUSH_SA="orders-pusher@${PROJECT}.iam.gserviceaccount.com"

run() { echo "+ $*"; "$@"; }

# The fixed egress IP: a subnet for Cloud Run's instances, a reserved address, Cloud NAT on a router.
run gcloud compute networks subnets create "$SUBNET" --project="$PROJECT" --network="$NETWORK" --region="$REGION" --range=10.8.0.0/26
run gcloud compute addresses create forward-egress-ip --project="$PROJECT" --region="$REGION"
run gcloud compute routers create forward-egress-router --project="$PROJECT" --network="$NETWORK" --region="$REGION"
run gcloud compute routers nats create forward-egress-nat --project="$PROJECT" --router=forward-egress-router --region="$REGION" \
  --nat-custom-subnet-ip-ranges="$SUBNET" --nat-external-ip-pool=forward-egress-ip

# The service: Direct VPC egress, all traffic through the VPC; private to its Pub/Sub pusher.
run gcloud iam service-accounts create forward-orders --project="$PROJECT" --display-name="eventarc-router: forward orders to GKE"
run gcloud run deploy "$SERVICE" --project="$PROJECT" --region="$REGION" --source=. \
  --service-account="$RUN_SA" --network="$NETWORK" --subnet="$SUBNET" --vpc-egress=all-traffic \
  --no-allow-unauthenticated --ingress=internal --concurrency=80 --timeout=60s

# Pub/Sub pushes to it with an OIDC token of its own identity; Cloud Run checks it (run.invoker).
run gcloud iam service-accounts create orders-pusher --project="$PROJECT" --display-name="Pub/Sub push identity for forward-orders"
run gcloud run services add-iam-policy-binding "$SERVICE" --project="$PROJECT" --region="$REGION" --member="serviceAccount:${PUSH_SA}" --role=roles/run.invoker
run gcloud pubsub topics create orders --project="$PROJECT"
run gcloud pubsub subscriptions create orders-to-gke --project="$PROJECT" --topic=orders \
  --push-endpoint="https://${SERVICE}-${PROJECT_NUMBER}.${REGION}.run.app/" --push-auth-service-account="$PUSH_SA" \
  --ack-deadline=30 --min-retry-delay=10s --max-retry-delay=600s
