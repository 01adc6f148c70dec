# cluster-dns: a small, non-root image. Build: docker build -t cluster-dns .
# Run:   docker run --init -p 1053:53/udp -p 1053:53/tcp -v "$PWD/zones:/zones:ro" cluster-dns

# Build stage: install everything, compile TypeScript, keep only production dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npm run build && npm prune --omit=dev
# The native UDP engine (recvmmsg/sendmmsg, docs/udp-engine.md): built here with the image's Node
# headers; the runtime stage copies build/ and needs no compiler. Without it UDP runs on node:dgram.
COPY binding.gyp ./
COPY native ./native
COPY scripts/build-native.mjs ./scripts/
RUN apt-get update && apt-get install -y --no-install-recommends g++ make python3 \
    && node scripts/build-native.mjs && mkdir -p build/Release

# Runtime stage: dist/ and production node_modules only, running as the unprivileged `node` user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    CLUSTER_DNS_HOST=0.0.0.0 \
    CLUSTER_DNS_PORT=53 \
    CLUSTER_DNS_ZONES=/zones \
    CLUSTER_DNS_HTTP=0.0.0.0:9153
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/build/Release ./build/Release
COPY zones /zones
USER node
# Docker (20.10+) lets unprivileged processes bind ports below 1024 inside the container
# (net.ipv4.ip_unprivileged_port_start=0), so port 53 needs no root and no capability.
# 9153 serves /metrics, /health and /ready; the /v1 registration API stays off unless
# CLUSTER_DNS_HTTP_TOKEN is set, because this listener is not on loopback.
EXPOSE 53/udp 53/tcp 9153/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "dist/main.js", "probe"]
# node runs as PID 1 and handles SIGTERM itself; `docker run --init` adds zombie reaping (none expected).
ENTRYPOINT ["node", "dist/main.js"]
CMD ["serve"]
