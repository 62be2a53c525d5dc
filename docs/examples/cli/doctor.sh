# Which tfjs backend is active, on which device, and why faster ones were skipped.
pnpm hydralora doctor
