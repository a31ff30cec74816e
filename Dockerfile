# wasmgate's image. Multi-stage: the build stage compiles TypeScript with the dev dependencies;
# the runtime stage holds production dependencies only, runs as a non-root UID, and starts
# node directly (no shell) so SIGTERM reaches wasmgate, which stops serving and exits 0.
#
# NODE_IMAGE: a current Node LTS (wasmgate needs Node >= 20.19). hack/image/build.sh builds this
# file with buildah against a locally assembled base where no registry is reachable (see README).
ARG NODE_IMAGE=docker.io/library/node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
# only for builders behind a TLS-intercepting proxy (a CA file mounted into the build); build
# args of a stage never reach the runtime image
ARG NODE_EXTRA_CA_CERTS
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM ${NODE_IMAGE} AS deps
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM ${NODE_IMAGE}
# --max-semi-space-size=8: as bin/wasmgate.js says, a young generation big enough that a review's
# objects die young (2 MiB cost 10-30% more CPU per review), ~20 MiB smaller than V8's default;
# --expose-gc: one full collection after the API server lists (src/cluster/compact.ts)
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=8 --expose-gc"
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
# the chart runs as this UID too (runAsNonRoot needs a numeric USER)
USER 10001:10001
EXPOSE 8443
ENTRYPOINT ["node", "/app/bin/wasmgate.js"]
CMD ["serve"]
