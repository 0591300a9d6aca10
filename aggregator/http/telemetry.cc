#include "aggregator/http/telemetry.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/enum_label.h"
#include "common/proto_time.h"

namespace ap {
namespace {

std::string When(const google::protobuf::Timestamp& ts, absl::Time now) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  const absl::Duration ago = now - FromProto(ts);
  return absl::StrCat(
      absl::FormatTime("%Y-%m-%d %H:%M:%SZ", FromProto(ts),
                       absl::UTCTimeZone()),
      " (", absl::FormatDuration(absl::Trunc(ago, absl::Seconds(1))), " ago)");
}

std::string Status(v1::ExecutionStatus s) {
  std::string name = v1::ExecutionStatus_Name(s);
  return absl::AsciiStrToLower(name.substr(name.rfind('_') + 1));
}

constexpr char kStyle[] =
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin-bottom:2em}"
    "th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}"
    "th{background:#f0f0f0}.succeeded{color:#17803d}.failed,.timed{color:#"
    "b3261e}"
    ".yes{color:#17803d}.no{color:#b3261e}";

// A table (header and one row) of counts by status in the enum's order:
// every status but UNSPECIFIED, 0 where `counts` has none, or with
// `only_counted` just those in `counts`. Cell ids `<prefix>-<status>`.
template <typename E, typename N>
std::string CountsByStatus(const absl::flat_hash_map<E, N>& counts,
                           absl::string_view prefix, bool only_counted) {
  const google::protobuf::EnumDescriptor* type =
      google::protobuf::GetEnumDescriptor<E>();
  std::string head = "<tr>";
  std::string row = "<tr>";
  for (int i = 0; i < type->value_count(); ++i) {
    const E e = static_cast<E>(type->value(i)->number());
    if (type->value(i)->number() == 0) continue;  // UNSPECIFIED
    auto it = counts.find(e);
    if (only_counted && it == counts.end()) continue;
    const std::string label = EnumLabel(e);
    absl::StrAppend(&head, "<th>", label, "</th>");
    absl::StrAppend(&row, "<td id=\"", prefix, "-", label, "\">",
                    it == counts.end() ? 0 : it->second, "</td>");
  }
  return absl::StrCat(head, "</tr>", row, "</tr>");
}

}  // namespace

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string RenderTelemetry(const TelemetryData& d) {
  std::string h = absl::StrCat(
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"refresh\" content=\"5\"><title>ap aggregator</title>"
      "<style>",
      kStyle, "</style></head><body>", "<h1>ap aggregator</h1><p>id ",
      HtmlEscape(d.aggregator_id), " &middot; <span id=\"role\">",
      HtmlEscape(d.role), "</span> &middot; version ", HtmlEscape(d.version),
      " &middot; ",
      absl::FormatTime("%Y-%m-%d %H:%M:%SZ", d.now, absl::UTCTimeZone()),
      " &middot; refreshes every 5 s</p>",
      "<h2>Workflows</h2><table><tr><th>known</th><th>armed</th>"
      "<th>fires since start</th></tr><tr><td id=\"workflows-known\">",
      d.workflows_known, "</td><td>", d.workflows_armed, "</td><td>", d.fires,
      "</td></tr></table>", "<table>",
      CountsByStatus(d.workflows_by_status, "workflows",
                     /*only_counted=*/false),
      "</table>", "<h2>Executions not finished</h2><table>",
      CountsByStatus(d.open_executions, "open", /*only_counted=*/true),
      "</table>");
  absl::StrAppend(&h, "<h2>Operators (", d.operators.size(), ")</h2><table>",
                  "<tr><th>id</th><th>version</th><th>connected</th>"
                  "<th>last seen</th><th>capacity</th><th>running</th>"
                  "<th>queued</th></tr>");
  for (const v1::OperatorInfo& op : d.operators) {
    absl::StrAppend(&h, "<tr class=\"operator\"><td>", HtmlEscape(op.id()),
                    "</td><td>", HtmlEscape(op.version()), "</td><td class=\"",
                    op.connected() ? "yes\">yes" : "no\">no", "</td><td>",
                    When(op.last_seen(), d.now), "</td><td>", op.capacity(),
                    "</td><td>", op.running(), "</td><td>", op.queue_depth(),
                    "</td></tr>");
  }
  absl::StrAppend(&h,
                  "</table><h2>Recent outcomes</h2><table><tr>"
                  "<th>execution</th><th>status</th><th>operator</th>"
                  "<th>attempt</th><th>duration</th><th>finished</th></tr>");
  for (const v1::Execution& e : d.recent) {
    const absl::Duration took =
        e.has_started_at() && e.has_finished_at()
            ? FromProto(e.finished_at()) - FromProto(e.started_at())
            : absl::ZeroDuration();
    absl::StrAppend(&h, "<tr><td>", HtmlEscape(e.id()), "</td><td class=\"",
                    Status(e.status()), "\">", Status(e.status()), "</td><td>",
                    HtmlEscape(e.operator_id()), "</td><td>", e.attempt(),
                    "</td><td>", absl::FormatDuration(took), "</td><td>",
                    When(e.finished_at(), d.now), "</td></tr>");
  }
  absl::StrAppend(&h, "</table></body></html>\n");
  return h;
}

}  // namespace ap
