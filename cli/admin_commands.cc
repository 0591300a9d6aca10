#include "cli/admin_commands.h"

#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/client.h"
#include "cli/output.h"
#include "common/status.h"

namespace ap {
namespace {

const char kKeysUsage[] =
    "usage: apctl keys create --owner=NAME --role=reader|writer|admin "
    "[--name=TEXT] | keys list | keys revoke ID";
const char kOperatorsUsage[] =
    "usage: apctl operators add --id=ID | operators list | operators remove "
    "ID (apctl operators alone: the connected ones)";

int Keys(const std::vector<std::string>& args, const ApctlConfig& config,
         const AdminOptions& options, const CommandIo& io) {
  const std::string verb = args.size() > 1 ? args[1] : "";
  CommandSession session(config, io);
  if (verb == "create" && args.size() == 2) {
    if (options.owner.empty()) return UsageError(io, "keys create needs --owner");
    v1::Role role;
    if (!ParseEnumValue(options.role, "ROLE_", &v1::Role_Parse, &role) ||
        role == v1::ROLE_UNSPECIFIED) {
      return UsageError(io, absl::StrCat("--role: \"", options.role,
                                         "\" is not one of reader, writer, "
                                         "admin"));
    }
    return session.Run([&](AggregatorClient& c) -> absl::Status {
      v1::CreateApiKeyRequest req;
      req.set_owner(options.owner);
      req.set_role(role);
      req.set_name(options.name);
      v1::CreateApiKeyResponse resp;
      AP_RETURN_IF_ERROR(FromGrpcStatus(
          c.admin().CreateApiKey(c.Context().get(), req, &resp)));
      return session.Print(resp, [&] {
        return absl::StrCat("API key ", resp.key().id(), " for owner ",
                            resp.key().owner(), " (", EnumWord(role),
                            "); shown only now:\nsecret: ", resp.secret(),
                            "\n");
      });
    });
  }
  if (verb == "list" && args.size() == 2) {
    return session.Run([&](AggregatorClient& c) -> absl::Status {
      v1::ListApiKeysResponse resp;
      AP_RETURN_IF_ERROR(FromGrpcStatus(c.admin().ListApiKeys(
          c.Context().get(), v1::ListApiKeysRequest(), &resp)));
      return session.Print(resp, [&] {
        std::vector<std::vector<std::string>> rows;
        for (const v1::ApiKey& k : resp.keys()) {
          rows.push_back({k.id(), k.owner(), EnumWord(k.role()),
                          FormatTimestamp(k.created_at()),
                          k.name().empty() ? "-" : k.name()});
        }
        return RenderTable({"ID", "OWNER", "ROLE", "CREATED", "NAME"}, rows);
      });
    });
  }
  if (verb == "revoke" && args.size() == 3) {
    return session.Run([&](AggregatorClient& c) -> absl::Status {
      v1::RevokeApiKeyRequest req;
      req.set_id(args[2]);
      v1::RevokeApiKeyResponse resp;
      AP_RETURN_IF_ERROR(FromGrpcStatus(
          c.admin().RevokeApiKey(c.Context().get(), req, &resp)));
      session.human() << "revoked API key " << args[2] << "\n";
      return absl::OkStatus();
    });
  }
  return UsageError(io, kKeysUsage);
}

int Operators(const std::vector<std::string>& args, const ApctlConfig& config,
              const AdminOptions& options, const CommandIo& io) {
  const std::string& verb = args[1];
  CommandSession session(config, io);
  if (verb == "add" && args.size() == 2) {
    if (options.id.empty()) return UsageError(io, "operators add needs --id");
    return session.Run([&](AggregatorClient& c) -> absl::Status {
      v1::AddOperatorRequest req;
      req.set_operator_id(options.id);
      v1::AddOperatorResponse resp;
      AP_RETURN_IF_ERROR(FromGrpcStatus(
          c.admin().AddOperator(c.Context().get(), req, &resp)));
      return session.Print(resp, [&] {
        return absl::StrCat("operator ", options.id,
                            " allowed (any earlier token of it is revoked); "
                            "token shown only now:\nsecret: ",
                            resp.secret(), "\n");
      });
    });
  }
  if (verb == "list" && args.size() == 2) {
    return session.Run([&](AggregatorClient& c) -> absl::Status {
      v1::ListOperatorTokensResponse resp;
      AP_RETURN_IF_ERROR(FromGrpcStatus(c.admin().ListOperatorTokens(
          c.Context().get(), v1::ListOperatorTokensRequest(), &resp)));
      return session.Print(resp, [&] {
        std::vector<std::vector<std::string>> rows;
        for (const v1::OperatorToken& o : resp.operators()) {
          rows.push_back({o.operator_id(), FormatTimestamp(o.created_at())});
        }
        return RenderTable({"OPERATOR", "TOKEN CREATED"}, rows);
      });
    });
  }
  if (verb == "remove" && args.size() == 3) {
    return session.Run([&](AggregatorClient& c) -> absl::Status {
      v1::RemoveOperatorRequest req;
      req.set_operator_id(args[2]);
      v1::RemoveOperatorResponse resp;
      AP_RETURN_IF_ERROR(FromGrpcStatus(
          c.admin().RemoveOperator(c.Context().get(), req, &resp)));
      session.human() << "removed operator " << args[2]
                      << " (its stream, if open, is closed)\n";
      return absl::OkStatus();
    });
  }
  return UsageError(io, kOperatorsUsage);
}

}  // namespace

bool IsAdminCommand(const std::vector<std::string>& args) {
  if (args.empty()) return false;
  return args[0] == "keys" || (args[0] == "operators" && args.size() > 1);
}

int RunAdminCommand(const std::vector<std::string>& args,
                    const ApctlConfig& config, const AdminOptions& options,
                    const CommandIo& io) {
  if (args[0] == "keys") return Keys(args, config, options, io);
  return Operators(args, config, options, io);
}

}  // namespace ap
