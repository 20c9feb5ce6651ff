# One image for the whole system; the command chooses what runs (see README "Deployment"):
#   node apps/config-service/dist/main.js        node apps/policy-gate/dist/main.js
#   node apps/writeback-executor/dist/main.js    node apps/audit-service/dist/main.js
#   node libs/persistence/dist/migrate.cli.js    node apps/cli/dist/main.js ...
# Pin NODE_IMAGE by digest in release pipelines; the tag is the readable default.
ARG NODE_IMAGE=node:20.20-bookworm-slim

# The package manifests alone (the root's, the lock file, every workspace's), so that the
# `npm ci` layer below is rebuilt only when they change, not on every source change. Found
# rather than listed, so a new workspace cannot be forgotten here.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
  && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests/ \; \
  && cp -r package-lock.json patches /manifests/

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY --from=manifests /manifests/ ./
# Prisma's install scripts are not needed: `npm run build` generates the client offline. Ours
# is: it applies patches/ (kafkajs and sdk-node, docs/adr/0013, 0014 and 0015), so it runs by name.
RUN npm ci --ignore-scripts --no-audit --no-fund && npx patch-package --error-on-fail
COPY . .
# Optional dependencies go too: the Prisma CLI and TypeScript are optional peers of
# @prisma/client that npm keeps, with their whole trees, although the generated client never
# loads them; the others are the embedded PostgreSQL binaries (`npm start` only), pg-cloudflare
# and @colors/colors (the CLI's tables are uncoloured). tools/image/check-image.mjs fails on any
# package the lock file marks dev or devOptional.
RUN npm run build \
  && npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund
# Keep only what runs: manifests, compiled output, the migrations and the production modules.
# Test-only projects (tagged type:testing) stay out, and so do the workspace links to them.
RUN mkdir -p /out \
  && cp package.json package-lock.json /out/ \
  && cp -a node_modules /out/ \
  && for project in apps/* libs/*; do \
       if grep -q '"type:testing"' "$project/package.json"; then continue; fi; \
       mkdir -p "/out/$project" && cp "$project/package.json" "/out/$project/"; \
       if [ -d "$project/dist" ]; then cp -a "$project/dist" "/out/$project/"; fi; \
     done \
  && cp -a libs/persistence/prisma libs/persistence/embedded /out/libs/persistence/ \
  && find /out/node_modules/@writeback -xtype l -delete \
  && find /out -name '*.tsbuildinfo' -delete

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    WRITEBACK_HTTP_HOST=0.0.0.0 \
    WRITEBACK_EXECUTOR_KEY_DIR=/etc/writeback/keys
WORKDIR /app
# Owned by root and read-only for the service user: the image works with readOnlyRootFilesystem.
COPY --from=build /out/ /app/
# The base image's `node` user, by number so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080 8081 8082 8083
CMD ["node", "apps/cli/dist/main.js", "--help"]
