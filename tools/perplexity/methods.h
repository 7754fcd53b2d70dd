// The two ways lutra-perplexity scores a text (docs/tools.md):
// - Chunks (the default; llama.cpp's llama-perplexity method, so the figures compare): the
//   tokens are cut into independent chunks of n_ctx, each evaluated from an empty KV cache with
//   its first token replaced by BOS when the vocabulary adds one; the second half of each chunk
//   is scored (the tokens after position n_ctx/2, each with at least n_ctx/2 of history).
//   "[i]ppl," is printed after every chunk, the running perplexity so far.
// - Sliding windows (--stride S): windows of n_ctx moved by S, each from an empty cache; every
//   token after the first is scored once, by the first window that holds it with history.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lutra/lutra.h"

namespace lutra::tools {

// Negative log-likelihoods, summed in double: the perplexity and its error as llama-perplexity
// gives them (the standard error of the mean NLL carried to the perplexity: PPL·σ/√(n−1),
// σ² the NLLs' population variance).
class NllSum {
 public:
  void Add(double nll) {
    sum_ += nll;
    sum_sq_ += nll * nll;
    ++count_;
  }
  size_t count() const { return count_; }
  double Perplexity() const;
  double Error() const;

 private:
  double sum_ = 0.0, sum_sq_ = 0.0;
  size_t count_ = 0;
};

// log Σ exp(l) − l[target] over the vocabulary, in double precision.
double NegLogLikelihood(const float* logits, size_t vocab, int32_t target);

// Both return false with lutra_last_error() set when the engine fails.
bool ScoreChunks(lutra_session* session, const std::vector<int32_t>& tokens, size_t n_ctx,
                 size_t n_chunks, int32_t bos, size_t vocab, NllSum* out);
bool ScoreSliding(lutra_session* session, const std::vector<int32_t>& tokens, size_t n_ctx,
                  size_t stride, size_t vocab, NllSum* out);

}  // namespace lutra::tools
