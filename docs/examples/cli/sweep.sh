# Score against K (the paper's Figure 8) on the embedded default: train and evaluate for K = 1..6.
pnpm hydralora sweep --k 1..6
