#ifndef AP_COMMON_TEMPLATE_TEMPLATE_H_
#define AP_COMMON_TEMPLATE_TEMPLATE_H_

// Templating: text with `{{ NAME }}` placeholders. Step fields may use
//   steps.<step id>.output   an earlier step's (truncated) output
//   execution.id             the execution id
//   execution.scheduled_at   the scheduled time, RFC 3339 UTC
//   execution.attempt        the attempt, from 1 (an idempotency key with
//                            execution.id)
//   workflow.id              the workflow id
// The aggregator validates templates when a workflow is created (names and
// step order); the operator renders them. There is no nesting, escaping or
// expression language: `{{` always opens a placeholder. Other texts (a
// notification's body) name their own set of names (TemplateNames).

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ap {

inline constexpr int kMaxPlaceholders = 64;

struct TemplatePart {
  bool is_placeholder = false;
  // Literal text, or the placeholder's name without braces and spaces.
  std::string text;
};

// The names a kind of template may use.
struct TemplateNames {
  bool (*known)(absl::string_view name);
  const char* listing;  // for the error naming an unknown one
};
// Those of step fields (above).
const TemplateNames& StepTemplateNames();

// Splits `text` into literal parts and placeholders. INVALID_ARGUMENT for an
// unclosed `{{`, an unknown name or more than kMaxPlaceholders.
absl::StatusOr<std::vector<TemplatePart>> ParseTemplate(
    absl::string_view text, const TemplateNames& names = StepTemplateNames());

// For `steps.ID.output`, the step id; empty for other names.
std::string ReferencedStep(absl::string_view placeholder);

// Replaces each placeholder by lookup(name).
absl::StatusOr<std::string> RenderTemplate(
    absl::string_view text,
    const std::function<std::string(absl::string_view name)>& lookup,
    const TemplateNames& names = StepTemplateNames());

}  // namespace ap

#endif  // AP_COMMON_TEMPLATE_TEMPLATE_H_
