#include "aggregator/admin_cli.h"

#include "absl/strings/str_join.h"
#include "aggregator/auth/credentials.h"
#include "aggregator/store/pg_store.h"
#include "aggregator/store/rocksdb_store.h"
#include "common/clock.h"
#include "common/proto_time.h"

namespace ap {
namespace {

constexpr char kUsage[] =
    "usage: aggregator [--data-dir=DIR] keys create --owner=NAME "
    "--role=reader|writer|admin [--name=TEXT]\n"
    "       aggregator keys list | keys revoke ID\n"
    "       aggregator operators add --id=ID | operators list | operators "
    "remove ID\n";

std::string Time(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProto(ts),
                          absl::UTCTimeZone());
}

int Usage(std::ostream& err, const std::string& why) {
  err << "aggregator: " << why << "\n" << kUsage;
  return 2;
}

int Fail(std::ostream& err, const absl::Status& s) {
  err << "aggregator: " << s.message() << "\n";
  return 1;
}

int Keys(const std::vector<std::string>& args, CredentialStore& creds,
         const AdminFlags& flags, std::ostream& out, std::ostream& err) {
  if (args[1] == "create" && args.size() == 2) {
    if (flags.owner.empty()) return Usage(err, "keys create needs --owner");
    absl::StatusOr<Role> role = ParseRole(flags.role);
    if (!role.ok()) return Usage(err, std::string(role.status().message()));
    absl::StatusOr<NewSecret> key =
        creds.CreateApiKey(flags.owner, *role, flags.name, absl::Now());
    if (!key.ok()) return Fail(err, key.status());
    out << "API key " << key->id << " for owner " << flags.owner << " ("
        << RoleName(*role) << "); shown only now:\nsecret: " << key->secret
        << "\n";
    return 0;
  }
  if (args[1] == "list" && args.size() == 2) {
    absl::StatusOr<std::vector<store::v1::ApiKeyRecord>> keys =
        creds.ListApiKeys();
    if (!keys.ok()) return Fail(err, keys.status());
    out << "ID            OWNER                ROLE    CREATED               "
           "NAME\n";
    for (const auto& k : *keys) {
      char line[256];
      std::snprintf(line, sizeof(line), "%-13s %-20s %-7s %-21s %s\n",
                    k.id().c_str(), k.owner().c_str(),
                    RoleName(static_cast<Role>(k.role())),
                    Time(k.created_at()).c_str(), k.name().c_str());
      out << line;
    }
    return 0;
  }
  if (args[1] == "revoke" && args.size() == 3) {
    absl::Status s = creds.RevokeApiKey(args[2]);
    if (!s.ok()) return Fail(err, s);
    out << "revoked API key " << args[2] << "\n";
    return 0;
  }
  return Usage(err,
               "unknown keys command \"" + absl::StrJoin(args, " ") + "\"");
}

int Operators(const std::vector<std::string>& args, CredentialStore& creds,
              const AdminFlags& flags, std::ostream& out, std::ostream& err) {
  if (args[1] == "add" && args.size() == 2) {
    if (flags.id.empty()) return Usage(err, "operators add needs --id");
    absl::StatusOr<NewSecret> token = creds.AddOperator(flags.id, absl::Now());
    if (!token.ok()) return Fail(err, token.status());
    out << "operator " << flags.id
        << " allowed (any earlier token of it is revoked); token shown only "
           "now:\nsecret: "
        << token->secret << "\n";
    return 0;
  }
  if (args[1] == "list" && args.size() == 2) {
    absl::StatusOr<std::vector<store::v1::OperatorRecord>> ops =
        creds.ListOperators();
    if (!ops.ok()) return Fail(err, ops.status());
    out << "OPERATOR                         CREATED\n";
    for (const auto& o : *ops) {
      char line[256];
      std::snprintf(line, sizeof(line), "%-32s %s\n", o.operator_id().c_str(),
                    Time(o.created_at()).c_str());
      out << line;
    }
    return 0;
  }
  if (args[1] == "remove" && args.size() == 3) {
    absl::Status s = creds.RemoveOperator(args[2]);
    if (!s.ok()) return Fail(err, s);
    out << "removed operator " << args[2] << "\n";
    return 0;
  }
  return Usage(
      err, "unknown operators command \"" + absl::StrJoin(args, " ") + "\"");
}

}  // namespace

int RunAdminCommand(const std::vector<std::string>& args,
                    const AggregatorConfig& config, const AdminFlags& flags,
                    std::ostream& out, std::ostream& err) {
  if (args.size() < 2 || (args[0] != "keys" && args[0] != "operators")) {
    return Usage(err, "unknown command \"" + absl::StrJoin(args, " ") + "\"");
  }
  // Credentials are not leader-only: written straight to the store, which
  // on PostgreSQL every member (and this command) shares.
  std::unique_ptr<Store> store;
  if (config.store == "postgres") {
    PgStoreOptions options;
    options.dsn = config.postgres_dsn;
    absl::StatusOr<std::unique_ptr<PostgresStore>> pg =
        PostgresStore::Open(std::move(options));
    if (!pg.ok()) return Fail(err, pg.status());
    store = *std::move(pg);
  } else {
    absl::StatusOr<std::unique_ptr<RocksDbStore>> rocks =
        RocksDbStore::Open({config.data_dir, /*sync_writes=*/true});
    if (!rocks.ok()) return Fail(err, rocks.status());
    store = *std::move(rocks);
  }
  CredentialStore creds(store.get());
  return args[0] == "keys" ? Keys(args, creds, flags, out, err)
                           : Operators(args, creds, flags, out, err);
}

}  // namespace ap
