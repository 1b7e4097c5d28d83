# One image for every process; the command picks the part (compose: api, worker, sim).
FROM node:20-slim
ENV NODE_ENV=production COREPACK_ENABLE_DOWNLOAD_PROMPT=0
RUN npm install -g pnpm@10 && npm cache clean --force
WORKDIR /app

# Manifests first, so dependency layers are reused while only sources change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY packages/shared/package.json packages/shared/
COPY packages/discord-client/package.json packages/discord-client/
COPY packages/discord-sim/package.json packages/discord-sim/
COPY packages/midjourney/package.json packages/midjourney/
COPY packages/notify/package.json packages/notify/
COPY packages/translate/package.json packages/translate/
COPY packages/client/package.json packages/client/
# The build needs the workspace's dev dependencies (esbuild, tsx), so the full install is kept.
RUN pnpm install --frozen-lockfile --prod=false

COPY tsconfig.base.json tsconfig.json ./
COPY apps apps
COPY packages packages
COPY scripts scripts
# Each process as one plain-JavaScript bundle (apps/*/dist/main.js): no TypeScript loader at run time.
RUN pnpm build

USER node
EXPOSE 3000
CMD ["node", "apps/api/dist/main.js"]
