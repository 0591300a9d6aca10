#include "common/template/template.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ap {
namespace {

bool IsStepIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsStepName(absl::string_view name) {
  if (name == "execution.id" || name == "execution.scheduled_at" ||
      name == "execution.attempt" || name == "workflow.id") {
    return true;
  }
  return !ReferencedStep(name).empty();
}

}  // namespace

const TemplateNames& StepTemplateNames() {
  static constexpr TemplateNames kNames{
      &IsStepName,
      "steps.ID.output, execution.id, execution.scheduled_at, "
      "execution.attempt, workflow.id"};
  return kNames;
}

std::string ReferencedStep(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "steps.") ||
      !absl::ConsumeSuffix(&name, ".output") || name.empty()) {
    return "";
  }
  for (char c : name) {
    if (!IsStepIdChar(c)) return "";
  }
  return std::string(name);
}

absl::StatusOr<std::vector<TemplatePart>> ParseTemplate(
    absl::string_view text, const TemplateNames& names) {
  std::vector<TemplatePart> parts;
  int placeholders = 0;
  while (!text.empty()) {
    const size_t open = text.find("{{");
    if (open == absl::string_view::npos) {
      parts.push_back({false, std::string(text)});
      break;
    }
    if (open > 0) parts.push_back({false, std::string(text.substr(0, open))});
    const size_t close = text.find("}}", open + 2);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("unclosed \"{{\" at offset ", open));
    }
    const absl::string_view name =
        absl::StripAsciiWhitespace(text.substr(open + 2, close - open - 2));
    if (!names.known(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown placeholder {{", name, "}}; known: ", names.listing));
    }
    if (++placeholders > kMaxPlaceholders) {
      return absl::InvalidArgumentError(absl::StrCat(
          "more than ", kMaxPlaceholders, " placeholders in one field"));
    }
    parts.push_back({true, std::string(name)});
    text.remove_prefix(close + 2);
  }
  return parts;
}

absl::StatusOr<std::string> RenderTemplate(
    absl::string_view text,
    const std::function<std::string(absl::string_view name)>& lookup,
    const TemplateNames& names) {
  absl::StatusOr<std::vector<TemplatePart>> parts = ParseTemplate(text, names);
  if (!parts.ok()) return parts.status();
  std::string out;
  for (const TemplatePart& p : *parts) {
    absl::StrAppend(&out, p.is_placeholder ? lookup(p.text) : p.text);
  }
  return out;
}

}  // namespace ap
