#ifndef AP_CLI_ADMIN_COMMANDS_H_
#define AP_CLI_ADMIN_COMMANDS_H_

// apctl's commands on ap.v1.Admin, for an API key with the admin role,
// while the aggregator runs:
//   keys create --owner=NAME --role=reader|writer|admin [--name=TEXT]
//   keys list | keys revoke ID
//   operators add --id=ID | operators list | operators remove ID
// (`apctl operators` alone lists the connected operators and their load.)
// A secret is printed once, when it is made.

#include <string>
#include <vector>

#include "cli/session.h"

namespace ap {

struct AdminOptions {
  std::string owner;  // keys create
  std::string role;   // keys create
  std::string name;   // keys create: who holds it
  std::string id;     // operators add
};

// Whether `args` is one of these commands.
bool IsAdminCommand(const std::vector<std::string>& args);

int RunAdminCommand(const std::vector<std::string>& args,
                    const ApctlConfig& config, const AdminOptions& options,
                    const CommandIo& io);

}  // namespace ap

#endif  // AP_CLI_ADMIN_COMMANDS_H_
