#include "aggregator/service/http_routes.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ap/v1/http.pb.h"
#include "google/protobuf/struct.pb.h"
#include "common/status.h"
#include "common/url_decode.h"
#include "google/protobuf/util/json_util.h"

namespace ap {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Struct;
using google::protobuf::Value;

// "/v1/workflows/{id}:pause" -> ["v1", "workflows", "{id}"] and "pause".
std::pair<std::vector<std::string>, std::string> SplitPath(
    absl::string_view path) {
  std::vector<std::string> segments =
      absl::StrSplit(absl::StripPrefix(path, "/"), '/');
  std::string verb;
  if (!segments.empty()) {
    std::string& last = segments.back();
    // A `:` inside a variable's braces is not a verb's.
    const size_t colon = last.rfind(':');
    if (colon != std::string::npos && last.find('}', colon) == std::string::npos) {
      verb = last.substr(colon + 1);
      last.resize(colon);
    }
  }
  return {segments, verb};
}

const FieldDescriptor* FindField(const Descriptor* d, absl::string_view name) {
  if (const FieldDescriptor* f = d->FindFieldByName(std::string(name))) {
    return f;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == name) return d->field(i);
  }
  return nullptr;
}

// Messages whose JSON form is a string (settable from one value).
bool IsStringLike(const Descriptor* d) {
  const std::string& n = d->full_name();
  return n == "google.protobuf.Timestamp" || n == "google.protobuf.Duration" ||
         n == "google.protobuf.FieldMask";
}

// Puts `key`=`value` (a field path, or `map[key]`) into `root`, typed
// as the field of `d` it names.
absl::Status AddParam(const Descriptor* d, absl::string_view key,
                      absl::string_view value, Struct* root) {
  const std::vector<absl::string_view> parts = absl::StrSplit(key, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::string_view name = parts[i];
    std::string map_key;
    const size_t bracket = name.find('[');
    if (bracket != absl::string_view::npos && absl::EndsWith(name, "]")) {
      map_key = std::string(name.substr(bracket + 1, name.size() - bracket - 2));
      name = name.substr(0, bracket);
    }
    const FieldDescriptor* f = FindField(d, name);
    if (f == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", key, "\": ", d->full_name(), " has no field \"", name, "\""));
    }
    auto& fields = *root->mutable_fields();
    const bool last = i + 1 == parts.size();
    if (f->is_map()) {
      if (!last || map_key.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "\"", key, "\": a map; write ", f->json_name(), "[KEY]=VALUE"));
      }
      (*fields[f->json_name()].mutable_struct_value()->mutable_fields())[map_key]
          .set_string_value(std::string(value));
      return absl::OkStatus();
    }
    if (!map_key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", key, "\": ", f->json_name(), " is not a map"));
    }
    const bool message = f->type() == FieldDescriptor::TYPE_MESSAGE;
    if (!last) {
      if (!message || f->is_repeated()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "\"", key, "\": ", f->json_name(), " has no fields"));
      }
      root = fields[f->json_name()].mutable_struct_value();
      d = f->message_type();
      continue;
    }
    if (message && !IsStringLike(f->message_type())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", key, "\": ", f->json_name(),
          " is a message; set its fields (", f->json_name(), ".FIELD=...)"));
    }
    Value v;
    if (f->type() == FieldDescriptor::TYPE_BOOL) {
      if (value != "true" && value != "false") {
        return absl::InvalidArgumentError(absl::StrCat(
            "\"", key, "\": \"", value, "\" is not true or false"));
      }
      v.set_bool_value(value == "true");
    } else {
      v.set_string_value(std::string(value));
    }
    if (f->is_repeated()) {
      *fields[f->json_name()].mutable_list_value()->add_values() = std::move(v);
    } else {
      fields[f->json_name()] = std::move(v);
    }
  }
  return absl::OkStatus();
}

absl::Status ParseJson(absl::string_view json, google::protobuf::Message* m,
                       absl::string_view what) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto s = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), m, options);
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", s.message().as_string()));
  }
  return absl::OkStatus();
}

}  // namespace

HttpRoutes HttpRoutes::For(const google::protobuf::ServiceDescriptor* service) {
  HttpRoutes out;
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* m = service->method(i);
    if (!m->options().HasExtension(v1::http)) continue;
    const v1::HttpRoute& r = m->options().GetExtension(v1::http);
    Route route;
    std::string path;
    switch (r.pattern_case()) {
      case v1::HttpRoute::kGet:
        route.http_method = "GET";
        path = r.get();
        break;
      case v1::HttpRoute::kPost:
        route.http_method = "POST";
        path = r.post();
        break;
      case v1::HttpRoute::kPatch:
        route.http_method = "PATCH";
        path = r.patch();
        break;
      case v1::HttpRoute::kDelete:
        route.http_method = "DELETE";
        path = r.delete_();
        break;
      default:
        continue;  // no pattern: not routed (Unrouted lists it)
    }
    std::tie(route.segments, route.verb) = SplitPath(path);
    route.body = r.body();
    route.method = m;
    out.routes_.push_back(std::move(route));
  }
  return out;
}

std::vector<std::string> HttpRoutes::Unrouted(
    const google::protobuf::ServiceDescriptor* service) {
  std::vector<std::string> out;
  for (int i = 0; i < service->method_count(); ++i) {
    const auto& options = service->method(i)->options();
    if (!options.HasExtension(v1::http) ||
        options.GetExtension(v1::http).pattern_case() ==
            v1::HttpRoute::PATTERN_NOT_SET) {
      out.push_back(service->method(i)->name());
    }
  }
  return out;
}

absl::StatusOr<HttpRouteMatch> HttpRoutes::Match(absl::string_view http_method,
                                                 absl::string_view path) const {
  const auto [segments, verb] = SplitPath(path);
  std::vector<std::string> allowed;
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size() || r.verb != verb) continue;
    HttpRouteMatch match{r.method, {}, r.body};
    bool same = true;
    for (size_t i = 0; i < segments.size() && same; ++i) {
      const std::string& t = r.segments[i];
      if (absl::StartsWith(t, "{") && absl::EndsWith(t, "}")) {
        same = !segments[i].empty();
        match.path_fields.emplace_back(t.substr(1, t.size() - 2),
                                       UrlDecode(segments[i], /*plus_is_space=*/false));
      } else {
        same = t == segments[i];
      }
    }
    if (!same) continue;
    if (r.http_method == http_method) return match;
    allowed.push_back(r.http_method);
  }
  if (!allowed.empty()) {
    return absl::UnimplementedError(
        absl::StrCat(http_method, " ", path, " is not served; it is with ",
                     absl::StrJoin(allowed, ", ")));
  }
  return absl::NotFoundError(
      absl::StrCat("no route for ", http_method, " ", path,
                   " (docs/http-api.md lists them)"));
}

std::vector<std::string> HttpRoutes::Describe() const {
  std::vector<std::string> out;
  for (const Route& r : routes_) {
    out.push_back(absl::StrCat(r.http_method, " /",
                               absl::StrJoin(r.segments, "/"),
                               r.verb.empty() ? "" : ":", r.verb));
  }
  return out;
}

absl::Status BuildRequest(const HttpRouteMatch& match, const QueryParams& query,
                          absl::string_view body,
                          google::protobuf::Message* request) {
  const Descriptor* d = request->GetDescriptor();
  if (!absl::StripAsciiWhitespace(body).empty()) {
    if (match.body.empty()) {
      return absl::InvalidArgumentError(
          "body: this route takes none (its fields go in the path and the "
          "query string)");
    }
    if (match.body == "*") {
      AP_RETURN_IF_ERROR(ParseJson(body, request, "body"));
    } else {
      const FieldDescriptor* f = d->FindFieldByName(match.body);
      if (f == nullptr || f->type() != FieldDescriptor::TYPE_MESSAGE) {
        return absl::InternalError(absl::StrCat(
            "route body \"", match.body, "\" is not a message field"));
      }
      AP_RETURN_IF_ERROR(ParseJson(
          body, request->GetReflection()->MutableMessage(request, f), "body"));
    }
  }
  if (match.body == "*" && !query.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query parameter \"", query.front().first,
        "\": this route takes its fields in the JSON body"));
  }
  // The query string and the path as one JSON object, typed by the
  // request's fields; the path's values win over the body's.
  Struct params;
  for (const auto& [key, value] : query) {
    if (absl::Status s = AddParam(d, key, value, &params); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter ", s.message()));
    }
  }
  for (const auto& [key, value] : match.path_fields) {
    AP_RETURN_IF_ERROR(AddParam(d, key, value, &params));
  }
  if (params.fields().empty()) return absl::OkStatus();
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(params, &json);
  std::unique_ptr<google::protobuf::Message> from(request->New());
  AP_RETURN_IF_ERROR(ParseJson(json, from.get(), "query string"));
  request->MergeFrom(*from);
  return absl::OkStatus();
}

}  // namespace ap
