/** The ~10M-parameter LLaMA config the benchmarks train (the issue's; Hugging Face field names). */
export const BENCH_CONFIG = {
  vocab_size: 8000,
  hidden_size: 256,
  intermediate_size: 688,
  num_hidden_layers: 8,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  tie_word_embeddings: false,
};
