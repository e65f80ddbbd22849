# syntax=docker/dockerfile:1
#
# eventarc-router container image.
#   Build stage:   the full Node.js 20 image (compilers, npm, git) runs `npm ci` and `npm run build`,
#                  then drops the dev dependencies.
#   Runtime stage: distroless Node.js 20 as the non-root user (uid 65532). It has CA certificates
#                  (scratch does not, and every Google API call needs them), no shell and no package
#                  manager. The app needs no $HOME and writes nothing to disk, so the filesystem can
#                  stay read-only. It listens on $PORT (Cloud Run sets it; 8080 otherwise).
#   Entry point:   the lean server (dist/service/serve.js: the same pipeline behind bare node:http), for
#                  Cloud Run. Functions Framework stays in the image for whoever chooses it (docs/deploy.md,
#                  section 2); Cloud Functions builds from source (package.json `main`, `gcp-build`).
#
# Build without a local Docker engine:
#   gcloud builds submit --tag REGION-docker.pkg.dev/PROJECT/REPOSITORY/eventarc-router:TAG
# (docs/deploy.md has the whole sequence.)

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
# Dependencies first: this layer is reused while package*.json do not change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY functions ./functions
COPY scripts/bundle.js scripts/code-cache.js scripts/code-cache-routes.yaml ./scripts/
# tsc, then one bundled file (dist/service/bundle/router.js, loaded by dist/service/router.js):
# one file loads much faster than ~80 at cold start.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && test -f dist/service/serve.js \
 && test -f dist/service/router.js \
 && test -f node_modules/@google-cloud/functions-framework/build/src/main.js

FROM gcr.io/distroless/nodejs20-debian12:nonroot AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PORT=8080
# Only the compiled code and the production dependencies; files stay owned by root, read-only to the app.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/scripts/code-cache.js /app/scripts/code-cache-routes.yaml ./scripts/
# V8's code caches for both bundles (the lean server's and Functions Framework's), made by this image's own
# Node (a cache serves only the Node that made it): about 15 ms off each cold start. As root, to write it next to the bundle; exec form,
# as distroless has no shell. It runs the service's start-up once, with a sample routes file only.
USER root
RUN ["/nodejs/bin/node", "scripts/code-cache.js"]
USER nonroot
EXPOSE 8080
# What `npm run serve` runs, without npm (no shell or npm here, and npm wants a writable $HOME): the lean
# server serves the whole pipeline at several times Functions Framework's throughput, and `forward`
# at a fraction of its CPU per event (docs/benchmarks.md).
ENTRYPOINT ["/nodejs/bin/node", "dist/service/serve.js"]
