#include "common/tls.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace ap {

absl::StatusOr<std::string> ReadPemFile(const std::string& what,
                                        const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": cannot read ", path));
  }
  std::stringstream s;
  s << in.rdbuf();
  if (s.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", path, " is not a PEM file"));
  }
  return s.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTls& tls) {
  if (tls.cert_file.empty()) return grpc::InsecureServerCredentials();
  AP_ASSIGN_OR_RETURN(std::string cert, ReadPemFile("tls_cert", tls.cert_file));
  AP_ASSIGN_OR_RETURN(std::string key, ReadPemFile("tls_key", tls.key_file));
  grpc::SslServerCredentialsOptions options(
      tls.client_ca_file.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!tls.client_ca_file.empty()) {
    AP_ASSIGN_OR_RETURN(options.pem_root_certs,
                        ReadPemFile("tls_client_ca", tls.client_ca_file));
  }
  options.pem_key_cert_pairs.push_back({key, cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const ClientTls& tls) {
  if (!tls.enabled) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  if (!tls.ca_file.empty()) {
    AP_ASSIGN_OR_RETURN(options.pem_root_certs,
                        ReadPemFile("tls_ca", tls.ca_file));
  }
  if (!tls.cert_file.empty()) {
    AP_ASSIGN_OR_RETURN(options.pem_cert_chain,
                        ReadPemFile("tls_cert", tls.cert_file));
    AP_ASSIGN_OR_RETURN(options.pem_private_key,
                        ReadPemFile("tls_key", tls.key_file));
  }
  return grpc::SslCredentials(options);
}

}  // namespace ap
