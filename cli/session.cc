#include "cli/session.h"

#include <ostream>

#include "cli/output.h"

namespace ap {

int CommandSession::Run(
    const std::function<absl::Status(AggregatorClient&)>& body) {
  absl::StatusOr<std::unique_ptr<AggregatorClient>> client =
      AggregatorClient::Connect(config_);
  if (!client.ok())
    return UsageError(io_, std::string(client.status().message()));
  absl::Status s = body(**client);
  if (!s.ok()) {
    *io_.err << DescribeError(s, config_);
    return kExitRefused;
  }
  return kExitOk;
}

absl::Status CommandSession::Print(const google::protobuf::Message& m,
                                   const std::function<std::string()>& table) {
  if (config_.output == "table") {
    *io_.out << table();
    return absl::OkStatus();
  }
  return PrintDetail(m);
}

absl::Status CommandSession::PrintDetail(const google::protobuf::Message& m) {
  absl::StatusOr<std::string> text =
      config_.output == "json" ? RenderJson(m) : RenderYaml(m);
  if (!text.ok()) return text.status();
  *io_.out << *text;
  return absl::OkStatus();
}

int UsageError(const CommandIo& io, const std::string& message) {
  *io.err << "apctl: " << message << "\n";
  return kExitUsage;
}

}  // namespace ap
