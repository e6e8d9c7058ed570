# syntax=docker/dockerfile:1
# RAUTA container image: build with the full Node 24 image, run on distroless Node 24 (no shell, no
# package manager), as a numeric non-root user so Kubernetes' runAsNonRoot can verify it.
#   docker build -t ghcr.io/rauta/rauta:0.1.0 .
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz on the admin port (deploy/install.yaml), and
# docker compose users can curl them.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

# ── build: compile src/ → dist/ ──
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips the `node` package's preinstall, which would download a second Node 24 binary
# (~120 MB) only so npm scripts run on 24 where the system Node is older. This image already is Node 24,
# so its dangling `node_modules/.bin/node` shim is removed and npm scripts use the image's node.
RUN npm ci --ignore-scripts --no-audit --no-fund && rm -f node_modules/.bin/node
COPY . .
RUN npm run build

# ── deps: production dependencies only ──
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The `node` package is a dev dependency (the runtime image brings its own /nodejs/bin/node and runs
# dist/cli.js with it), so --omit=dev leaves it out. protobufjs' postinstall only prints version hints
# for its CLI, which RAUTA does not use; .bin holds only CLI shims.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/.bin

# ── runtime ──
FROM ${RUNTIME_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/schemas ./schemas
COPY --from=build /app/package.json ./package.json
# 65532 is distroless' "nonroot" user; numeric so the kubelet can check runAsNonRoot.
USER 65532:65532
# 8080 HTTP, 8443 HTTPS, 9000 admin (keep it private: never publish it to the world).
EXPOSE 8080 8443 9000
# The distroless entrypoint is the node binary itself.
CMD ["--enable-source-maps", "dist/cli.js"]
