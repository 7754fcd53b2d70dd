// A progress bar on stderr when it is a terminal; silent when piped, so logs stay clean.
#pragma once

#include <string>

namespace lutra::tools {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar() { Done(); }
  // fraction in [0, 1]; redraws at most once per percent.
  void Update(double fraction);
  void Done();
  // For the C API's progress callbacks: user_data is the ProgressBar.
  static void Callback(float fraction, void* user_data);

 private:
  std::string label_;
  bool tty_ = false, active_ = false;
  int last_percent_ = -1;
};

}  // namespace lutra::tools
