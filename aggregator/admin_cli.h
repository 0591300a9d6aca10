#ifndef AP_AGGREGATOR_ADMIN_CLI_H_
#define AP_AGGREGATOR_ADMIN_CLI_H_

// `aggregator keys ...` and `aggregator operators ...`: credential
// administration on the store in --data-dir, for when the aggregator is not
// running (RocksDB allows one process per data dir).
//
//   keys create --owner=NAME --role=reader|writer|admin [--name=TEXT]
//   keys list
//   keys revoke ID
//   operators add --id=ID
//   operators list
//   operators remove ID
//
// A new secret is printed once, on its own line after "secret: ".

#include <ostream>
#include <string>
#include <vector>

#include "aggregator/config.h"

namespace ap {

struct AdminFlags {
  std::string owner;
  std::string role;
  std::string name;
  std::string id;
};

// Returns the exit code: 0 done, 1 the store refused, 2 bad usage.
int RunAdminCommand(const std::vector<std::string>& args,
                    const AggregatorConfig& config, const AdminFlags& flags,
                    std::ostream& out, std::ostream& err);

}  // namespace ap

#endif  // AP_AGGREGATOR_ADMIN_CLI_H_
