#ifndef AP_COMMON_TLS_H_
#define AP_COMMON_TLS_H_

// TLS for gRPC from PEM files, for the aggregator's port (server side) and
// its clients (apctl, operators). Errors name the file that failed.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace ap {

struct ServerTls {
  std::string cert_file;  // empty: plaintext
  std::string key_file;
  // Set: clients must present a certificate this CA signed (mTLS).
  std::string client_ca_file;
};

struct ClientTls {
  bool enabled = false;
  std::string ca_file;    // empty: the system roots
  std::string cert_file;  // for mTLS, with key_file
  std::string key_file;
};

// Reads a whole file; INVALID_ARGUMENT naming `what` and the path.
absl::StatusOr<std::string> ReadPemFile(const std::string& what,
                                        const std::string& path);

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTls& tls);
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const ClientTls& tls);

}  // namespace ap

#endif  // AP_COMMON_TLS_H_
