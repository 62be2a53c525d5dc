# The paper's Figure 3 for your run: t-SNE of A and B across heads, router usage per component.
pnpm hydralora analyze --adapter ./runs/tinyllama-hydra/adapter
# The paper's comparison on the embedded default, over five seeds (its default).
pnpm hydralora repro --seeds 5
