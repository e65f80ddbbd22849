#!/usr/bin/env bash
# Runs before `npm test`: the tests start real peers (Pub/Sub and Firestore emulators, docker-registry, skopeo,
# nginx, openssl, shellcheck, Java for the emulators). Installs the missing ones when it can (root on Debian or
# Ubuntu, printing what it installs); otherwise stops before any test with the commands that install them.
set -euo pipefail

declare -A package_of=(
  [/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator]=google-cloud-cli-pubsub-emulator
  [/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator]=google-cloud-cli-firestore-emulator
  [/usr/bin/docker-registry]=docker-registry
  [/usr/bin/skopeo]=skopeo
  [/usr/sbin/nginx]=nginx
  [/usr/bin/shellcheck]=shellcheck
  [/usr/bin/openssl]=openssl
  [/usr/bin/java]=default-jre-headless
  [/usr/bin/gcloud]=google-cloud-cli
)

missing=()
for path in "${!package_of[@]}"; do
  [ -x "$path" ] || missing+=("${package_of[$path]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort)

debian_like=false
if [ -r /etc/os-release ] && grep -qiE '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release; then debian_like=true; fi

if $debian_like && [ "$(id -u)" -eq 0 ]; then
  echo "provision: installing the test peers: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  exit 0
fi

{
  echo "provision: the tests need these programs, which are missing: ${missing[*]}"
  if $debian_like; then
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    echo "  (the google-cloud-cli packages come from Google's apt repository: https://cloud.google.com/sdk/docs/install#deb)"
  else
    echo "  install docker-registry (CNCF distribution), skopeo, nginx, shellcheck, openssl and a Java runtime with your package manager,"
    echo "  and the Google Cloud CLI with its emulators: gcloud components install pubsub-emulator cloud-firestore-emulator"
    echo "  (the tests look for them where the Debian packages put them: see test/support/*.ts)"
  fi
} >&2
exit 1
