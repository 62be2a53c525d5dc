# Install the pinned pnpm, install, build, and run the offline demo.
npm i -g pnpm@10.34.9 && pnpm install && pnpm build && pnpm hydralora demo
# Run every test of the monorepo.
pnpm test
