#include "tools/perplexity/methods.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tools/common/progress.h"

namespace lutra::tools {

double NllSum::Perplexity() const {
  return count_ == 0 ? NAN : std::exp(sum_ / double(count_));
}

double NllSum::Error() const {
  if (count_ < 2) return 0.0;
  const double mean = sum_ / double(count_);
  const double var = sum_sq_ / double(count_) - mean * mean;
  return var > 0.0 ? Perplexity() * std::sqrt(var / double(count_ - 1)) : 0.0;
}

double NegLogLikelihood(const float* logits, size_t vocab, int32_t target) {
  double mx = -INFINITY;
  for (size_t v = 0; v < vocab; ++v) mx = std::max(mx, double(logits[v]));
  double z = 0.0;
  for (size_t v = 0; v < vocab; ++v) z += std::exp(double(logits[v]) - mx);
  return mx + std::log(z) - double(logits[target]);
}

bool ScoreChunks(lutra_session* session, const std::vector<int32_t>& tokens, size_t n_ctx,
                 size_t n_chunks, int32_t bos, size_t vocab, NllSum* out) {
  const size_t first = n_ctx / 2;
  std::vector<float> logits(n_ctx * vocab);
  std::vector<int32_t> chunk(n_ctx);
  for (size_t c = 0; c < n_chunks; ++c) {
    std::copy_n(tokens.begin() + std::ptrdiff_t(c * n_ctx), n_ctx, chunk.begin());
    // Every chunk starts as a text does: with BOS, in place of the chunk's first token (the
    // first chunk's already is BOS), so the chunks keep n_ctx tokens and none is scored twice.
    if (bos >= 0) chunk[0] = bos;
    if (lutra_session_reset(session) != LUTRA_STATUS_OK ||
        lutra_session_evaluate(session, chunk.data(), n_ctx, logits.data(), logits.size()) !=
            LUTRA_STATUS_OK) {
      return false;
    }
    // Logits at position p predict token p + 1: positions first .. n_ctx − 2.
    for (size_t p = first; p + 1 < n_ctx; ++p) {
      out->Add(NegLogLikelihood(&logits[p * vocab], vocab, chunk[p + 1]));
    }
    std::printf("[%zu]%.4f,", c + 1, out->Perplexity());
    std::fflush(stdout);
  }
  std::printf("\n");
  return true;
}

bool ScoreSliding(lutra_session* session, const std::vector<int32_t>& tokens, size_t n_ctx,
                  size_t stride, size_t vocab, NllSum* out) {
  std::vector<float> logits(n_ctx * vocab);
  size_t next_target = 1;  // tokens[next_target] is the first not yet scored
  ProgressBar bar("perplexity");
  for (size_t begin = 0; next_target < tokens.size(); begin += stride) {
    const size_t end = std::min(tokens.size(), begin + n_ctx);
    if (lutra_session_reset(session) != LUTRA_STATUS_OK ||
        lutra_session_evaluate(session, tokens.data() + begin, end - begin, logits.data(),
                               logits.size()) != LUTRA_STATUS_OK) {
      return false;
    }
    for (size_t t = std::max(next_target, begin + 1); t < end; ++t) {
      out->Add(NegLogLikelihood(&logits[(t - 1 - begin) * vocab], vocab, tokens[t]));
    }
    next_target = end;
    bar.Update(double(next_target) / double(tokens.size()));
  }
  bar.Done();
  return true;
}

}  // namespace lutra::tools
