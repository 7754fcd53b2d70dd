#include "tools/common/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace lutra::tools {

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), tty_(isatty(2) == 1) {}

void ProgressBar::Update(double fraction) {
  if (!tty_) return;
  const int percent = int(std::clamp(fraction, 0.0, 1.0) * 100.0);
  if (percent == last_percent_) return;
  last_percent_ = percent;
  active_ = true;
  constexpr int kWidth = 30;
  const int filled = percent * kWidth / 100;
  std::fprintf(stderr, "\r%s [%.*s%*s] %3d%%", label_.c_str(), filled,
               "##############################", kWidth - filled, "", percent);
  std::fflush(stderr);
}

void ProgressBar::Done() {
  if (!active_) return;
  active_ = false;
  std::fprintf(stderr, "\r\033[K");  // clear the line
  std::fflush(stderr);
}

void ProgressBar::Callback(float fraction, void* user_data) {
  static_cast<ProgressBar*>(user_data)->Update(fraction);
}

}  // namespace lutra::tools
