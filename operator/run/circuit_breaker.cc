#include "operator/run/circuit_breaker.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ap {

CircuitBreakers::State CircuitBreakers::StateOf(const Breaker& b) const {
  if (b.state == State::kOpen &&
      clock_->MonotonicNow() - b.opened_at >= options_.cool_down) {
    return State::kHalfOpen;
  }
  return b.state;
}

bool CircuitBreakers::Allow(const std::string& target) {
  absl::MutexLock l(&mu_);
  Breaker& b = breakers_[target];
  if (b.state == State::kOpen && StateOf(b) == State::kHalfOpen) {
    b.state = State::kHalfOpen;
    b.trial_running = false;
  }
  switch (b.state) {
    case State::kClosed:
      return true;
    case State::kOpen:
      return false;
    case State::kHalfOpen:
      if (b.trial_running) return false;
      b.trial_running = true;
      return true;
  }
  return true;
}

void CircuitBreakers::OnResult(const std::string& target, bool success) {
  absl::MutexLock l(&mu_);
  Breaker& b = breakers_[target];
  if (success) {
    b = Breaker();
    return;
  }
  ++b.failures;
  if (b.state == State::kHalfOpen || b.failures >= options_.failures) {
    b.state = State::kOpen;
    b.opened_at = clock_->MonotonicNow();
    b.trial_running = false;
  }
}

void CircuitBreakers::OnNoResult(const std::string& target) {
  absl::MutexLock l(&mu_);
  breakers_[target].trial_running = false;
}

absl::Duration CircuitBreakers::TrialIn(const std::string& target,
                                        absl::Duration poll) const {
  absl::MutexLock l(&mu_);
  auto it = breakers_.find(target);
  if (it == breakers_.end()) return absl::ZeroDuration();
  const Breaker& b = it->second;
  switch (StateOf(b)) {
    case State::kClosed:
      return absl::ZeroDuration();
    case State::kOpen:
      return options_.cool_down - (clock_->MonotonicNow() - b.opened_at);
    case State::kHalfOpen:
      return b.trial_running ? poll : absl::ZeroDuration();
  }
  return poll;
}

CircuitBreakers::State CircuitBreakers::state(const std::string& target) const {
  absl::MutexLock l(&mu_);
  auto it = breakers_.find(target);
  return it == breakers_.end() ? State::kClosed : StateOf(it->second);
}

std::vector<std::pair<std::string, CircuitBreakers::State>>
CircuitBreakers::States() const {
  absl::MutexLock l(&mu_);
  std::vector<std::pair<std::string, State>> out;
  for (const auto& [target, b] : breakers_)
    out.emplace_back(target, StateOf(b));
  return out;
}

std::string TargetOf(const std::string& url) {
  absl::string_view rest = url;
  std::string port = "80";
  const size_t scheme_end = rest.find("://");
  if (scheme_end != absl::string_view::npos) {
    if (absl::EqualsIgnoreCase(rest.substr(0, scheme_end), "https")) {
      port = "443";
    }
    rest.remove_prefix(scheme_end + 3);
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  const size_t at = rest.rfind('@');  // user:password@host
  if (at != absl::string_view::npos) rest.remove_prefix(at + 1);
  if (rest.empty()) return "";
  // host, host:port, [v6], [v6]:port
  const size_t bracket = rest.rfind(']');
  const size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos &&
      (bracket == absl::string_view::npos || colon > bracket)) {
    return absl::AsciiStrToLower(rest);
  }
  return absl::StrCat(absl::AsciiStrToLower(rest), ":", port);
}

}  // namespace ap
